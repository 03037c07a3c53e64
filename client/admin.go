package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// ReloadResult summarizes a successful policy reload.
type ReloadResult struct {
	// Source is the file the policy was read from.
	Source string `json:"source"`
	// Pools is the number of pools in the new policy.
	Pools int `json:"pools"`
}

// Reload asks the daemon to reload its policy file. An invalid policy gives
// an *APIError with Code CodeInvalidPolicy and the Findings; the daemon
// then keeps the old policy.
func (c *Client) Reload(ctx context.Context) (*ReloadResult, error) {
	var out struct {
		Reloaded bool `json:"reloaded"`
		ReloadResult
	}
	if err := c.call(ctx, http.MethodPost, "/v1/reload", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("reload policy: %w", err)
	}
	if !out.Reloaded {
		return nil, fmt.Errorf("reload policy: the daemon did not confirm the reload")
	}
	return &out.ReloadResult, nil
}

// Health is the daemon's liveness report (GET /healthz).
type Health struct {
	// Status is "ok" when the daemon is alive.
	Status string
	// Version is the daemon's version.
	Version string
	// Uptime is how long the daemon has been running.
	Uptime time.Duration
}

// Health asks whether the daemon is alive and which version it runs. It
// needs no token.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var out struct {
		Status        string  `json:"status"`
		Version       string  `json:"version"`
		UptimeSeconds float64 `json:"uptime_seconds"`
	}
	if err := c.call(ctx, http.MethodGet, "/healthz", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("check health: %w", err)
	}
	return &Health{
		Status:  out.Status,
		Version: out.Version,
		Uptime:  time.Duration(out.UptimeSeconds * float64(time.Second)),
	}, nil
}

// Readiness is the daemon's readiness report (GET /readyz).
type Readiness struct {
	// Ready reports whether the daemon accepts work (HTTP 200).
	Ready bool
	// Status is "ready" or "not ready".
	Status string
	// Checks holds each check's result as the daemon reports it (policy
	// loaded, store reachable, not shutting down, ...).
	Checks map[string]json.RawMessage
}

// Ready asks whether the daemon accepts work. A daemon that answers "not
// ready" (HTTP 503) is not an error: Ready is then false.
func (c *Client) Ready(ctx context.Context) (*Readiness, error) {
	r, err := c.do(ctx, http.MethodGet, "/readyz", nil, nil)
	if err != nil {
		return nil, fmt.Errorf("check readiness: %w", err)
	}
	var out struct {
		Status string                     `json:"status"`
		Checks map[string]json.RawMessage `json:"checks"`
	}
	if r.ok() || r.status == http.StatusServiceUnavailable {
		if json.Unmarshal(r.body, &out) == nil && out.Status != "" {
			return &Readiness{Ready: r.ok(), Status: out.Status, Checks: out.Checks}, nil
		}
	}
	if r.ok() {
		return nil, fmt.Errorf("check readiness: decode answer (HTTP %d): no status", r.status)
	}
	return nil, fmt.Errorf("check readiness: %w", r.apiError())
}
