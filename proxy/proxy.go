// Package proxy is ratelord's reverse proxy. A request to
// /proxy/{upstream}/{path...} is forwarded to the upstream the policy names,
// once the governor has granted the pools of the path's route. The proxy
// injects the upstream's API token from the environment (and never shows it
// to anyone), reads the answer's rate-limit headers back into the pools,
// settles token estimates from the answer's usage, and answers a denial
// itself with 429, Retry-After and the IETF RateLimit headers, so the
// upstream is never called over quota.
//
// Decisions where the design is silent:
//
//   - The token variable is read before acquiring: when it is unset the
//     client gets 502 upstream_token_missing and no quota is charged at all.
//   - Authorization and x-api-key from the client are always dropped, also
//     for an upstream without token_env: ratelord-d's own bearer token
//     travels in Authorization and must never reach an upstream.
//   - Accept-Encoding from the client is dropped, so the transport
//     negotiates compression itself and the proxy sees plain bytes: it can
//     read usage and scrub the token from bodies. Clients get identity bodies.
//   - An `estimate` larger than the pool lets the request's priority take at
//     once is clamped to that, and the answer says so in
//     Ratelord-Estimate-Clamped; the settle from usage corrects it.
//   - Bodies are read into memory (up to MaxBody, else 413) only for routes
//     with an `estimate`; other bodies stream through.
//   - Settling: usage found in the answer settles the estimate pools to it;
//     an answer of status 400 or more without usage settles them to 0
//     (nothing was generated); a success without usage, or a route without
//     estimate, releases the lease (the charge stays). Pools with a fixed
//     cost always keep their charge once the request was sent.
//   - A request that never reached the upstream (no request header was
//     written to a connection) is refunded; one that may have is released.
package proxy

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/ratelord/ratelord/governor"
)

// Prefix is the path the proxy serves: /proxy/{upstream}/{path...}. Mount
// the Proxy at this prefix.
const Prefix = "/proxy/"

// DefaultMaxBody is the default for Proxy.MaxBody: 10 MiB.
const DefaultMaxBody = 10 << 20

// Attribute keys of the proxy's log lines.
const (
	keyUpstream = "upstream"
	keyRoute    = "route"
	keyMethod   = "method"
	keyStatus   = "status"
	keyLease    = "lease_id"
	keyWaited   = "waited_ms"
	keyErr      = "err"
)

// Proxy forwards requests to the policy's upstreams, gated by a governor.
// Set the fields, then serve it at Prefix; it is safe for concurrent use.
// Fields must not change once it serves.
type Proxy struct {
	// Governor grants quota and is told what upstreams answer. Required.
	Governor *governor.Governor
	// Getenv reads the variable an upstream's token_env names, at each
	// request; default os.Getenv.
	Getenv func(string) string
	// Logger gets at most one debug line per request; default slog.Default().
	Logger *slog.Logger
	// Transport sends requests upstream; default http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the clock; default time.Now.
	Now func() time.Time
	// MaxWait is how long a request without Ratelord-Max-Wait may wait for
	// quota; default 0 (deny at once).
	MaxWait time.Duration
	// LeaseTTL is the lease TTL of a request without Ratelord-Lease-TTL;
	// default governor.DefaultLeaseTTL. A request that outlives its lease
	// keeps the charge.
	LeaseTTL time.Duration
	// MaxBody bounds the request body read to estimate tokens; default
	// DefaultMaxBody. A larger body is answered 413.
	MaxBody int64

	once sync.Once
	rp   *httputil.ReverseProxy
}

func (p *Proxy) init() {
	if p.Getenv == nil {
		p.Getenv = os.Getenv
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.MaxBody <= 0 {
		p.MaxBody = DefaultMaxBody
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.upstreamError,
		Transport:      p.Transport,
		FlushInterval:  -1, // pass every chunk on at once: streams stay live
		ErrorLog:       slog.NewLogLogger(p.Logger.Handler(), slog.LevelDebug),
	}
}

// ServeHTTP serves one proxied request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.once.Do(p.init)
	c, err := p.prepare(r)
	if err != nil {
		p.fail(w, r, c, err)
		p.logDone(r, c)
		return
	}
	defer p.logDone(r, c)
	if c.clamped != "" {
		w.Header().Set(HeaderEstimateClamped, c.clamped)
	}
	if len(c.req.Pools) > 0 {
		d, err := p.Governor.Acquire(r.Context(), c.req)
		if err != nil {
			if r.Context().Err() == nil { // else the caller left; its slot was given back
				p.fail(w, r, c, err)
			}
			return
		}
		if !d.Granted {
			p.deny(w, c, d)
			return
		}
		c.lease, c.waited = d.LeaseID, d.Waited
		if d.Waited > 0 {
			w.Header().Set(HeaderWaited, strconv.FormatInt(d.Waited.Milliseconds(), 10))
		}
	}
	// Whatever happens below, the lease is closed; normally the answer's
	// body closes it first and this does nothing.
	defer c.finish()
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
}

// logDone writes the request's one debug line.
func (p *Proxy) logDone(r *http.Request, c *call) {
	if !p.Logger.Enabled(r.Context(), slog.LevelDebug) {
		return
	}
	attrs := []any{keyMethod, r.Method, keyStatus, c.status}
	if c.up != nil {
		attrs = append(attrs, keyUpstream, c.up.Name)
	}
	if c.route != nil {
		attrs = append(attrs, keyRoute, c.route.Path)
	}
	if c.lease != 0 {
		attrs = append(attrs, keyLease, c.lease.String())
	}
	if c.waited > 0 {
		attrs = append(attrs, keyWaited, c.waited.Milliseconds())
	}
	if c.problem != "" {
		attrs = append(attrs, keyErr, c.problem)
	}
	p.Logger.Debug("proxied", attrs...)
}

// callKey carries a request's *call through the ReverseProxy callbacks.
type callKey struct{}

func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}
