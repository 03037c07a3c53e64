package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/policy"
)

// maxIdentity bounds the length of an identity string.
const maxIdentity = 256

// acquireBody is the JSON of POST /v1/acquire.
type acquireBody struct {
	Pool     string         `json:"pool"`
	Cost     *int64         `json:"cost"`
	Pools    governor.Costs `json:"pools"`
	Identity string         `json:"identity"`
	Priority string         `json:"priority"`
	MaxWait  string         `json:"max_wait"`
	LeaseTTL string         `json:"lease_ttl"`
}

type grantJSON struct {
	Granted  bool                 `json:"granted"`
	LeaseID  governor.LeaseID     `json:"lease_id"`
	WaitedMS int64                `json:"waited_ms"`
	Pools    []governor.PoolState `json:"pools"`
}

type denialJSON struct {
	Granted      bool                 `json:"granted"`
	Reason       governor.Reason      `json:"reason"`
	Message      string               `json:"message"`
	RetryAfterMS int64                `json:"retry_after_ms"`
	Pools        []governor.PoolState `json:"pools"`
}

func (s *Server) acquire(w http.ResponseWriter, r *http.Request) {
	if s.stopping.Load() {
		writeError(w, http.StatusServiceUnavailable, governor.ErrUnavailable, "ratelord-d is shutting down: retry against another replica or after it restarts")
		return
	}
	var b acquireBody
	if err := decode(w, r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	req, err := b.request()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.Governor.Acquire(r.Context(), req)
	if err != nil {
		if r.Context().Err() != nil {
			return // the caller left; its slot was given back
		}
		s.fail(w, r, err)
		return
	}
	if d.Granted {
		writeJSON(w, http.StatusOK, grantJSON{Granted: true, LeaseID: d.LeaseID, WaitedMS: d.Waited.Milliseconds(), Pools: d.Pools})
		return
	}
	ms := ceilDiv(int64(d.RetryAfter), int64(time.Millisecond))
	w.Header().Set("Retry-After", strconv.FormatInt(ceilDiv(int64(d.RetryAfter), int64(time.Second)), 10))
	code := http.StatusTooManyRequests
	if d.Reason == governor.ReasonStore {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, denialJSON{Reason: d.Reason, Message: d.Message, RetryAfterMS: ms, Pools: d.Pools})
}

// request checks the body and turns it into a governor request.
func (b *acquireBody) request() (governor.Request, error) {
	req := governor.Request{States: true}
	switch {
	case b.Pool != "" && b.Pools != nil:
		return req, invalid("give \"pool\" (with \"cost\") or \"pools\", not both")
	case b.Pool == "" && b.Pools == nil:
		return req, invalid("name a pool: {\"pool\": \"name\", \"cost\": 1} or {\"pools\": {\"name\": 1}}")
	case b.Pools != nil && b.Cost != nil:
		return req, invalid("\"cost\" goes with \"pool\"; with \"pools\" give each pool's cost in the object")
	case b.Pools != nil && len(b.Pools) == 0:
		return req, invalid("\"pools\" is empty: name at least one pool")
	case b.Pool != "":
		cost := int64(1)
		if b.Cost != nil {
			cost = *b.Cost
		}
		req.Pools = governor.Costs{{Pool: b.Pool, Units: cost}}
	default:
		req.Pools = b.Pools
	}
	if len(b.Identity) > maxIdentity {
		return req, invalid("identity is longer than 256 bytes: use a shorter name")
	}
	req.Identity = b.Identity
	pr, err := policy.ParsePriority(b.Priority)
	if err != nil {
		return req, invalid("priority: " + err.Error())
	}
	req.Priority = pr
	if req.MaxWait, err = duration("max_wait", b.MaxWait); err != nil {
		return req, err
	}
	if req.LeaseTTL, err = duration("lease_ttl", b.LeaseTTL); err != nil {
		return req, err
	}
	if b.LeaseTTL != "" && req.LeaseTTL < time.Second {
		return req, invalid("lease_ttl " + b.LeaseTTL + " is too short: use at least 1s")
	}
	return req, nil
}

// duration parses an optional Go duration field.
func duration(field, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, invalid(field + ": bad duration " + strconv.Quote(v) + ": use a Go duration such as 500ms, 10s or 5m")
	}
	if d < 0 {
		return 0, invalid(field + ": " + v + " is negative: use 0 or a positive duration")
	}
	return d, nil
}

func invalid(msg string) error { return governor.Errorf(governor.ErrInvalid, "%s", msg) }

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}
