package proxy

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ratelord/ratelord/governor"
)

// Error codes of the proxy's own answers, besides the governor's.
const (
	ErrNoRoute      = "no_route"               // no route of the upstream matches the path: 404
	ErrTooLarge     = "request_too_large"      // the body is over Proxy.MaxBody: 413
	ErrTokenMissing = "upstream_token_missing" // token_env names an unset variable: 502
	ErrUnreachable  = "upstream_unreachable"   // the upstream could not be reached: 502
)

// statusOf maps each error code to the status the proxy answers it with.
var statusOf = map[string]int{
	governor.ErrInvalid:         http.StatusBadRequest,
	governor.ErrUnknownPool:     http.StatusNotFound,
	governor.ErrUnknownLease:    http.StatusNotFound,
	governor.ErrUnknownUpstream: http.StatusNotFound,
	governor.ErrUnavailable:     http.StatusServiceUnavailable,
	governor.ErrInternal:        http.StatusInternalServerError,
	ErrNoRoute:                  http.StatusNotFound,
	ErrTooLarge:                 http.StatusRequestEntityTooLarge,
	ErrTokenMissing:             http.StatusBadGateway,
	ErrUnreachable:              http.StatusBadGateway,
}

// fail answers err as {"error": {"code", "message"}}. Internal errors show
// the client only "internal error" and are logged in full.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, c *call, err error) {
	code := governor.ErrorCode(err)
	msg := redact(err.Error(), c.token)
	if code == governor.ErrInternal {
		p.Logger.Error("proxy request failed", slog.String(keyMethod, r.Method), slog.String(keyErr, msg))
		msg = "internal error"
	}
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	c.status = status
	writeError(w, status, code, msg)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// denialJSON is the body of a denial, the same as POST /v1/acquire's.
type denialJSON struct {
	Granted      bool                 `json:"granted"`
	Reason       governor.Reason      `json:"reason"`
	Message      string               `json:"message"`
	RetryAfterMS int64                `json:"retry_after_ms"`
	Pools        []governor.PoolState `json:"pools"`
}

// deny answers a denial: 429 (503 when the store failed) with Retry-After,
// the IETF RateLimit and RateLimit-Policy fields (one item per pool of the
// route, in route order) and the body /v1/acquire gives.
func (p *Proxy) deny(w http.ResponseWriter, c *call, d governor.Decision) {
	h := w.Header()
	h.Set("Retry-After", strconv.FormatInt(ceilDiv(int64(d.RetryAfter), int64(time.Second)), 10))
	if rl, pol := rateLimit(d.Pools, p.Now()); rl != "" {
		h.Set("RateLimit", rl)
		h.Set("RateLimit-Policy", pol)
	}
	c.status = http.StatusTooManyRequests
	if d.Reason == governor.ReasonStore {
		c.status = http.StatusServiceUnavailable
	}
	pools := d.Pools
	if pools == nil {
		pools = []governor.PoolState{}
	}
	writeJSON(w, c.status, denialJSON{
		Reason: d.Reason, Message: d.Message, Pools: pools,
		RetryAfterMS: ceilDiv(int64(d.RetryAfter), int64(time.Millisecond)),
	})
}

// rateLimit returns the RateLimit and RateLimit-Policy field values
// (draft-ietf-httpapi-ratelimit-headers) of the pools' states: for each,
// "pool";r=remaining;t=seconds to its reset, and "pool";q=limit;w=window
// seconds, of its tightest limit.
func rateLimit(states []governor.PoolState, now time.Time) (limit, policy string) {
	var rl, pol []string
	for _, s := range states {
		t := int64(0)
		if !s.ResetAt.IsZero() {
			t = ceilDiv(int64(s.ResetAt.Sub(now)), int64(time.Second))
		}
		rl = append(rl, fmt.Sprintf("%q;r=%d;t=%d", s.Pool, max(s.Remaining, 0), t))
		w := int64(1)
		if d, err := time.ParseDuration(s.Window); err == nil {
			w = max(ceilDiv(int64(d), int64(time.Second)), 1)
		}
		pol = append(pol, fmt.Sprintf("%q;q=%d;w=%d", s.Pool, s.Limit, w))
	}
	return strings.Join(rl, ", "), strings.Join(pol, ", ")
}

// ceilDiv divides a by b rounding up; 0 for a <= 0.
func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}
