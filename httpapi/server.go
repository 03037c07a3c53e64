// Package httpapi serves ratelord's JSON API over net/http.
package httpapi

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/policy"
)

// Server is the HTTP API of one ratelord-d. Set the fields, then use Handler.
type Server struct {
	Governor *governor.Governor // required
	Store    governor.Store     // required: the audit log and readiness
	Logger   *slog.Logger       // default slog.Default()
	Version  string
	// Reload reloads the policy from its source. It returns policy.Findings
	// when the new policy is invalid (the old one keeps serving).
	Reload func() (*policy.Policy, error)
	// AuthToken, when set, is required as "Authorization: Bearer <token>" on
	// everything but /healthz, /readyz and /metrics.
	AuthToken string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Proxy, when set, serves /proxy/{upstream}/... (the reverse proxy).
	Proxy http.Handler
	// Metrics, when set, serves GET /metrics (Prometheus; no auth).
	Metrics http.Handler
	// Dashboard, when set, serves GET / (the dashboard page and its assets).
	Dashboard http.Handler
	// StreamPoll is how often a caught-up event stream (GET /v1/events
	// with follow) looks for new events in the Store; default 200ms.
	StreamPoll time.Duration

	started  time.Time
	stopping atomic.Bool
	inflight atomic.Int64 // API requests being served, health checks aside
}

// InFlight returns the number of API requests being served.
func (s *Server) InFlight() int64 { return s.inflight.Load() }

// SetShuttingDown makes /readyz answer 503 and new acquires be refused.
func (s *Server) SetShuttingDown() { s.stopping.Store(true) }

// Handler returns the API's routes.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	s.started = s.Now()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/acquire", s.acquire)
	mux.HandleFunc("POST /v1/leases/{id}/settle", s.settle)
	mux.HandleFunc("DELETE /v1/leases/{id}", s.release)
	mux.HandleFunc("GET /v1/pools", s.pools)
	mux.HandleFunc("GET /v1/pools/{name}", s.pool)
	mux.HandleFunc("POST /v1/observe", s.observe)
	mux.HandleFunc("GET /v1/events", s.events)
	mux.HandleFunc("POST /v1/reload", s.reload)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.Proxy != nil {
		mux.Handle("/proxy/", s.Proxy)
	}
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	if s.Dashboard != nil {
		mux.Handle("GET /{$}", s.Dashboard)
		mux.Handle("GET /ui/", s.Dashboard)
	}
	mux.HandleFunc("/", notFound)
	return s.count(s.auth(mux))
}

// routes lists the API's paths and their methods, for 405 answers.
var routes = []struct{ prefix, methods string }{
	{"/v1/acquire", "POST"},
	{"/v1/leases/", "POST, DELETE"},
	{"/v1/pools", "GET"},
	{"/v1/observe", "POST"},
	{"/v1/events", "GET"},
	{"/v1/reload", "POST"},
	{"/healthz", "GET"},
	{"/readyz", "GET"},
}

func notFound(w http.ResponseWriter, r *http.Request) {
	for _, rt := range routes {
		p := strings.TrimSuffix(rt.prefix, "/")
		if r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") {
			w.Header().Set("Allow", rt.methods)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method "+r.Method+" is not allowed on "+r.URL.Path+": use "+rt.methods)
			return
		}
	}
	writeError(w, http.StatusNotFound, "not_found", "no such endpoint "+r.URL.Path+": see the API section of the README")
}

// count tracks in-flight API requests, so a graceful stop can wait for them.
func (s *Server) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
		next.ServeHTTP(w, r)
	})
}

// auth requires the bearer token when one is configured.
func (s *Server) auth(next http.Handler) http.Handler {
	if s.AuthToken == "" {
		return next
	}
	want := []byte("Bearer " + s.AuthToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The dashboard's page and assets hold no data (the page asks for
		// the token and sends it with every API call); a browser cannot send
		// a bearer header when it opens a page.
		page := s.Dashboard != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
			(r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/ui/"))
		if page || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ratelord"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "send the daemon's token as \"Authorization: Bearer <token>\"")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"status":         "ok",
		"version":        s.Version,
		"uptime_seconds": int64(s.Now().Sub(s.started).Seconds()),
	})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{"policy": "ok", "store": "ok", "shutdown": "ok"}
	ready := true
	if s.Governor.CurrentPolicy() == nil {
		checks["policy"], ready = "no policy loaded", false
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		checks["store"], ready = "unreachable: "+err.Error(), false
	}
	if s.stopping.Load() {
		checks["shutdown"], ready = "shutting down", false
	}
	status, code := "ready", http.StatusOK
	if !ready {
		status, code = "not ready", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"status": status, "checks": checks})
}
