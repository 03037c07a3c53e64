package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

const (
	// maxHold caps the max_wait of one acquire, so that no single request
	// to the daemon has to outlive proxies' and the daemon's timeouts.
	maxHold = 60 * time.Second
	// acquireMargin is how much longer than its hold an acquire may take.
	acquireMargin = 30 * time.Second
	// noRetryPoll is how soon to ask again after a denial that gave no
	// retry time.
	noRetryPoll = time.Second
	// minRetry keeps a tiny retry time from turning into a busy loop.
	minRetry = 10 * time.Millisecond
	// observeTimeout bounds the report of an upstream answer, which happens
	// before RoundTrip returns.
	observeTimeout = 2 * time.Second
	// closeTimeout bounds the settle or release when a body is closed.
	closeTimeout = 10 * time.Second
)

// Transport is an http.RoundTripper that gates every request of an
// http.Client through ratelord-d: it acquires the request's pools before
// sending it (waiting up to MaxWait), reports the upstream's rate-limit
// headers back to the daemon, and settles or releases the lease when the
// caller closes the response body.
//
//	hc := &http.Client{Transport: &client.Transport{
//		Client:   client.New("http://127.0.0.1:8090"),
//		Pools:    func(*http.Request) map[string]int64 { return map[string]int64{"github-core": 1} },
//		Upstream: "github",
//		MaxWait:  time.Minute,
//	}}
//
// A denial that cannot wait makes RoundTrip fail with an error that wraps
// the *Denied (errors.As finds it through http.Client's *url.Error), and
// the upstream is not called. A daemon that cannot be reached fails the
// request too: the Transport never sends ungoverned requests. Close every
// response body, as net/http asks: an unclosed body keeps its lease (and
// any concurrency slot) open until its TTL ends.
//
// The Client's own calls to the daemon are never gated, even when its HTTP
// client uses this Transport or the Transport is installed as
// http.DefaultTransport. A Transport is safe for concurrent use; its fields
// must not change once it is in use.
type Transport struct {
	// Client is the daemon to ask; required.
	Client *Client
	// Base sends the requests; nil means http.DefaultTransport (as it was
	// when the program started, should this Transport replace it).
	Base http.RoundTripper
	// Pools says which pools a request draws from and their costs;
	// required. A nil or empty map passes the request through untouched:
	// no acquire and no report.
	Pools func(*http.Request) map[string]int64
	// Upstream names the policy upstream whose dialect reads the answers'
	// rate-limit headers (POST /v1/observe). Empty means do not report.
	Upstream string
	// Identity, when set, names who spends for a request.
	Identity func(*http.Request) string
	// Priority is critical, high, normal or low; empty means normal.
	Priority string
	// MaxWait is how long a request may wait for its quota, also bounded by
	// the request context's deadline; 0 means do not wait.
	MaxWait time.Duration
	// LeaseTTL is how long a lease stays open when its body is never
	// closed; 0 means the daemon's default (10m).
	LeaseTTL time.Duration
	// Settle, when set, gives the actual costs from the answer (such as the
	// tokens of an LLM call's usage); it is called once the caller closes
	// the body, with a copy of the response whose Body replays what the
	// caller read, when that was at most 1 MiB (else Body is empty).
	// Returning nil, or a nil Settle, releases the lease: the acquired
	// costs stay charged.
	Settle func(*http.Response) map[string]int64
	// Logger receives the failures that never fail a request (a report or
	// a release the daemon did not take); default slog.Default().
	Logger *slog.Logger
}

var _ http.RoundTripper = (*Transport)(nil)

// startDefault is http.DefaultTransport as it was at start-up: the base of
// a Transport that is itself installed as http.DefaultTransport.
var startDefault = http.DefaultTransport

// ownCall marks the context of the Client's own requests to the daemon, so
// that a Transport in their path lets them through.
type ownCall struct{}

// RoundTrip gates req through the daemon and sends it with Base.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base()
	if req.Context().Value(ownCall{}) != nil {
		return base.RoundTrip(req)
	}
	if t.Client == nil || t.Pools == nil {
		closeBody(req)
		return nil, errors.New("ratelord: Transport needs Client and Pools")
	}
	pools := t.Pools(req)
	if len(pools) == 0 {
		return base.RoundTrip(req)
	}
	identity := ""
	if t.Identity != nil {
		identity = t.Identity(req)
	}
	g, err := t.acquire(req.Context(), AcquireRequest{Pools: pools, Identity: identity,
		Priority: t.Priority, LeaseTTL: t.LeaseTTL})
	if err != nil {
		closeBody(req)
		return nil, fmt.Errorf("ratelord: %w", err)
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		t.release(g.LeaseID)
		return nil, err
	}
	if t.Upstream != "" {
		t.observe(req.Context(), resp, identity)
	}
	resp.Body = t.wrap(resp, g.LeaseID)
	return resp, nil
}

// base returns the transport that sends the requests.
func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	if b := http.DefaultTransport; b != http.RoundTripper(t) {
		return b
	}
	return startDefault
}

// acquire asks for r until it is granted or the wait runs out: MaxWait,
// bounded by ctx's deadline. Each acquire lets the daemon hold it for what
// is left (at most maxHold); a denial whose retry time still fits is asked
// again at that time. When the wait runs out it returns the last *Denied.
func (t *Transport) acquire(ctx context.Context, r AcquireRequest) (*Grant, error) {
	deadline := time.Now().Add(t.MaxWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for {
		left := time.Until(deadline).Truncate(time.Millisecond)
		r.MaxWait = min(max(left, 0), maxHold)
		actx, cancel := context.WithTimeout(ctx, r.MaxWait+acquireMargin)
		g, err := t.Client.Acquire(actx, r)
		cancel()
		var d *Denied
		if !errors.As(err, &d) {
			return g, err
		}
		retry := max(d.RetryAfter, minRetry)
		if d.RetryAfter <= 0 {
			retry = noRetryPoll
		}
		if time.Now().Add(retry).After(deadline) {
			return nil, err
		}
		if err := sleepCtx(ctx, retry); err != nil {
			return nil, err
		}
	}
}

// observe reports the answer's rate-limit headers, bounded by
// observeTimeout. A failure is logged and otherwise ignored: a report must
// never break the caller's request.
func (t *Transport) observe(ctx context.Context, resp *http.Response, identity string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), observeTimeout)
	defer cancel()
	o := Observation{Upstream: t.Upstream, Status: resp.StatusCode,
		Header: rateLimitHeaders(resp.Header), Identity: identity}
	if _, err := t.Client.Observe(ctx, o); err != nil {
		t.logger().Debug("ratelord: report of the upstream's answer failed", "upstream", t.Upstream, "err", err)
	}
}

// release closes a lease whose request never reached the upstream's answer.
func (t *Transport) release(lease string) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	t.closed(lease, t.Client.Release(ctx, lease))
}

// closed logs a failed settle or release. A lease that already expired is
// not worth more than a debug line; any other failure leaves the lease open
// until its TTL, so it is a warning.
func (t *Transport) closed(lease string, err error) {
	var api *APIError
	switch {
	case err == nil:
	case errors.As(err, &api) && api.Code == CodeUnknownLease:
		t.logger().Debug("ratelord: lease already closed", "lease", lease, "err", err)
	default:
		t.logger().Warn("ratelord: closing the lease failed; the daemon closes it when its TTL ends", "lease", lease, "err", err)
	}
}

func (t *Transport) logger() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}

// closeBody closes the request body, as a RoundTripper must even when it
// fails.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// sleepCtx waits for d, or until ctx is done and returns its error.
func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
