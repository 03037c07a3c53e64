package httpapi

import (
	"net/http"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/upstream"
)

// observeBody is the JSON of POST /v1/observe: an upstream answer's status
// and headers, or numbers for one pool.
type observeBody struct {
	Upstream   string            `json:"upstream"`
	Status     int               `json:"status"`
	Headers    map[string]string `json:"headers"`
	Pool       string            `json:"pool"`
	Identity   string            `json:"identity"`
	Remaining  *int64            `json:"remaining"`
	Limit      *int64            `json:"limit"`
	ResetAt    *time.Time        `json:"reset_at"`
	RetryAfter string            `json:"retry_after"`
}

func (s *Server) observe(w http.ResponseWriter, r *http.Request) {
	var b observeBody
	if err := decode(w, r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	var pools []string
	var err error
	switch {
	case b.Upstream != "" && b.Pool != "":
		err = invalid("give \"upstream\" (with its answer's headers) or \"pool\" (with numbers), not both")
	case b.Upstream != "":
		pools, err = s.observeHeaders(b)
	case b.Pool != "":
		err = s.observePool(b)
		pools = []string{b.Pool}
	default:
		err = invalid("name an upstream ({\"upstream\": \"github\", \"status\": 200, \"headers\": {...}}) or a pool ({\"pool\": \"p\", \"remaining\": 10})")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	states := make([]governor.PoolState, 0, len(pools))
	for _, p := range pools {
		if st, err := s.Governor.Pool(p, b.Identity); err == nil {
			states = append(states, st)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"observed": true, "pools": states})
}

// observeHeaders reads an upstream answer in the upstream's dialect.
func (s *Server) observeHeaders(b observeBody) ([]string, error) {
	u := s.Governor.CurrentPolicy().Upstream(b.Upstream)
	if u == nil {
		return nil, governor.Errorf(governor.ErrUnknownUpstream, "unknown upstream %q: name one of the policy's upstreams", b.Upstream)
	}
	if b.Status < 0 || b.Status > 999 {
		return nil, invalid("status must be an HTTP status code such as 200 or 429")
	}
	h := make(http.Header, len(b.Headers))
	for k, v := range b.Headers {
		h.Set(k, v)
	}
	o := upstream.Parse(u.Dialect, h, b.Status, s.Now())
	return s.Governor.ObserveUpstream(b.Upstream, b.Identity, "observe", o)
}

// observePool applies numbers given for one pool.
func (s *Server) observePool(b observeBody) error {
	o := governor.Observation{Pool: b.Pool, Identity: b.Identity, Limit: -1, Remaining: -1, Status: b.Status, Source: "observe"}
	if b.Remaining != nil {
		o.Remaining = *b.Remaining
		if o.Remaining < 0 {
			return invalid("remaining must be 0 or more")
		}
	}
	if b.Limit != nil {
		o.Limit = *b.Limit
		if o.Limit < 0 {
			return invalid("limit must be 0 or more")
		}
	}
	if b.ResetAt != nil {
		o.ResetAt = *b.ResetAt
	}
	d, err := duration("retry_after", b.RetryAfter)
	if err != nil {
		return err
	}
	o.RetryAfter = d
	o.Limited = b.Status == http.StatusTooManyRequests
	return s.Governor.Observe(o)
}
