package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Observation reports upstream truth to the daemon (POST /v1/observe), in
// one of two forms:
//
//   - an upstream's answer: Upstream names an upstream of the policy, whose
//     dialect reads Status and Header (x-ratelimit-*, Retry-After, ...) and
//     corrects the pools its resources map to;
//   - numbers for one pool: Pool with any of Remaining, Limit, ResetAt,
//     RetryAfter and Status (429 holds the pool).
//
// The daemon never believes more remains than the upstream reports, adopts
// its reset time for fixed windows, and after a 429 holds the pool until
// RetryAfter (or the reset) has passed.
type Observation struct {
	// Upstream names a policy upstream, for the header form.
	Upstream string
	// Status is the upstream's HTTP status code, 0 if unknown.
	Status int
	// Header holds the upstream answer's headers; a header with several
	// values is sent as one, joined with ", ".
	Header http.Header
	// Pool names the pool, for the numbers form.
	Pool string
	// Identity selects the partition of a pool with per: identity.
	Identity string
	// Remaining is the units the upstream says are left; nil if unknown.
	Remaining *int64
	// Limit is the upstream's quota for the window; nil if unknown.
	Limit *int64
	// ResetAt is when the upstream's window resets; zero if unknown.
	ResetAt time.Time
	// RetryAfter is how long the upstream asked callers to wait; 0 if it
	// did not say.
	RetryAfter time.Duration
}

// observeBody is the wire form of Observation.
type observeBody struct {
	Upstream   string            `json:"upstream,omitempty"`
	Status     int               `json:"status,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Pool       string            `json:"pool,omitempty"`
	Identity   string            `json:"identity,omitempty"`
	Remaining  *int64            `json:"remaining,omitempty"`
	Limit      *int64            `json:"limit,omitempty"`
	ResetAt    *time.Time        `json:"reset_at,omitempty"`
	RetryAfter string            `json:"retry_after,omitempty"`
}

// Observe reports o to the daemon and returns the state of the pools it
// corrected (none when the upstream's headers named no pool of the
// policy). An unknown pool or upstream gives an *APIError.
func (c *Client) Observe(ctx context.Context, o Observation) ([]PoolState, error) {
	if (o.Upstream == "") == (o.Pool == "") {
		return nil, errors.New("observe: set either Upstream (with Status and Header) or Pool (with numbers)")
	}
	b := observeBody{
		Upstream: o.Upstream, Status: o.Status, Headers: flatten(o.Header),
		Pool: o.Pool, Identity: o.Identity, Remaining: o.Remaining, Limit: o.Limit,
		RetryAfter: durationString(o.RetryAfter),
	}
	if !o.ResetAt.IsZero() {
		t := o.ResetAt.UTC()
		b.ResetAt = &t
	}
	var out struct {
		Pools []PoolState `json:"pools"`
	}
	if err := c.call(ctx, http.MethodPost, "/v1/observe", nil, b, &out); err != nil {
		what := o.Pool
		if o.Upstream != "" {
			what = "upstream " + o.Upstream
		}
		return nil, fmt.Errorf("observe %s: %w", what, err)
	}
	return out.Pools, nil
}

// flatten turns h into the JSON object the daemon takes: one string per
// name, several values joined with ", " (as RFC 9110 allows for fields that
// are lists).
func flatten(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	m := make(map[string]string, len(h))
	for k, vs := range h {
		if len(vs) > 0 {
			m[k] = strings.Join(vs, ", ")
		}
	}
	return m
}

// rateLimitHeaders returns the headers of h that speak of rate limits: every
// dialect's names contain "ratelimit", "rate-limit" or "retry-after"
// (x-ratelimit-*, anthropic-ratelimit-*, RateLimit, RateLimit-Policy,
// Retry-After, retry-after-ms). The Transport reports only these, so that
// cookies and other headers of the answer never leave the process.
func rateLimitHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, vs := range h {
		l := strings.ToLower(k)
		if strings.Contains(l, "ratelimit") || strings.Contains(l, "rate-limit") || strings.Contains(l, "retry-after") {
			out[k] = vs
		}
	}
	return out
}
