package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// PoolState is a pool's current usage, as the daemon reports it. For a pool
// with several limits, the top-level limit fields describe the tightest one
// and Limits lists each.
type PoolState struct {
	// Pool is the pool's name.
	Pool string
	// Identity is the identity this state belongs to, for a pool
	// partitioned per identity; empty for a shared pool.
	Identity string
	// Unit labels the pool's units ("requests", "tokens", ...).
	Unit string
	// Limit is the tightest limit's number of units per Window.
	Limit int64
	// Window is the tightest limit's window.
	Window time.Duration
	// Algorithm is the tightest limit's algorithm: sliding, fixed or bucket.
	Algorithm string
	// Used is the units counted against the tightest limit now.
	Used int64
	// Remaining is the units that may still be granted now.
	Remaining int64
	// ResetAt is when the tightest limit next frees units; zero if unknown.
	ResetAt time.Time
	// LeasesOpen is the number of open leases on the pool.
	LeasesOpen int
	// Concurrency is the cap on open leases; 0 when the pool has none.
	Concurrency int
	// Limits describes each of the pool's limits.
	Limits []LimitState
}

// LimitState is the usage of one limit of a pool.
type LimitState struct {
	// Limit is the number of units per Window.
	Limit int64
	// Window is the limit's window.
	Window time.Duration
	// Algorithm is sliding, fixed or bucket.
	Algorithm string
	// Used is the units counted against this limit now.
	Used int64
	// Remaining is the units this limit still allows now.
	Remaining int64
	// ResetAt is when this limit next frees units; zero if unknown.
	ResetAt time.Time
}

// limitWire is the JSON form of a limit's fields, shared by both types.
type limitWire struct {
	Limit     int64  `json:"limit"`
	Window    string `json:"window"`
	Algorithm string `json:"algorithm"`
	Used      int64  `json:"used"`
	Remaining int64  `json:"remaining"`
	ResetAt   string `json:"reset_at"`
}

// state converts the wire form, parsing the window and reset time.
func (w limitWire) state() (LimitState, error) {
	l := LimitState{Limit: w.Limit, Algorithm: w.Algorithm, Used: w.Used, Remaining: w.Remaining}
	var err error
	if w.Window != "" {
		if l.Window, err = time.ParseDuration(w.Window); err != nil {
			return l, fmt.Errorf("window: %w", err)
		}
	}
	if w.ResetAt != "" {
		if l.ResetAt, err = time.Parse(time.RFC3339Nano, w.ResetAt); err != nil {
			return l, fmt.Errorf("reset_at: %w", err)
		}
	}
	return l, nil
}

// wire converts a limit to its JSON form.
func (l LimitState) wire() limitWire {
	w := limitWire{Limit: l.Limit, Window: durationString(l.Window), Algorithm: l.Algorithm,
		Used: l.Used, Remaining: l.Remaining}
	if !l.ResetAt.IsZero() {
		w.ResetAt = l.ResetAt.UTC().Format(time.RFC3339Nano)
	}
	return w
}

// MarshalJSON encodes s in the daemon's wire form.
func (s LimitState) MarshalJSON() ([]byte, error) { return json.Marshal(s.wire()) }

// UnmarshalJSON decodes the daemon's POOLSTATE object, where windows are Go
// duration strings and reset times RFC 3339.
func (s *LimitState) UnmarshalJSON(data []byte) error {
	var w limitWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	l, err := w.state()
	*s = l
	return err
}

// poolWire is the JSON form of PoolState.
type poolWire struct {
	Pool     string `json:"pool"`
	Identity string `json:"identity"`
	Unit     string `json:"unit"`
	limitWire
	LeasesOpen  int          `json:"leases_open"`
	Concurrency int          `json:"concurrency"`
	Limits      []LimitState `json:"limits"`
}

// MarshalJSON encodes s in the daemon's wire form (POOLSTATE).
func (s PoolState) MarshalJSON() ([]byte, error) {
	top := LimitState{Limit: s.Limit, Window: s.Window, Algorithm: s.Algorithm,
		Used: s.Used, Remaining: s.Remaining, ResetAt: s.ResetAt}
	return json.Marshal(poolWire{Pool: s.Pool, Identity: s.Identity, Unit: s.Unit, limitWire: top.wire(),
		LeasesOpen: s.LeasesOpen, Concurrency: s.Concurrency, Limits: s.Limits})
}

// UnmarshalJSON decodes the daemon's POOLSTATE object.
func (s *PoolState) UnmarshalJSON(data []byte) error {
	var w poolWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	l, err := w.state()
	if err != nil {
		return fmt.Errorf("pool %s: %w", w.Pool, err)
	}
	*s = PoolState{
		Pool: w.Pool, Identity: w.Identity, Unit: w.Unit,
		Limit: l.Limit, Window: l.Window, Algorithm: l.Algorithm,
		Used: l.Used, Remaining: l.Remaining, ResetAt: l.ResetAt,
		LeasesOpen: w.LeasesOpen, Concurrency: w.Concurrency, Limits: w.Limits,
	}
	return nil
}

// Pools lists the state of every pool.
func (c *Client) Pools(ctx context.Context) ([]PoolState, error) {
	var out struct {
		Pools []PoolState `json:"pools"`
	}
	if err := c.call(ctx, http.MethodGet, "/v1/pools", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("list pools: %w", err)
	}
	return out.Pools, nil
}

// Pool returns the state of one pool; identity selects the partition of a
// pool with per: identity and may be empty. An unknown pool gives an
// *APIError with Code CodeUnknownPool.
func (c *Client) Pool(ctx context.Context, name, identity string) (*PoolState, error) {
	var q url.Values
	if identity != "" {
		q = url.Values{"identity": {identity}}
	}
	var out PoolState
	if err := c.call(ctx, http.MethodGet, "/v1/pools/"+url.PathEscape(name), q, nil, &out); err != nil {
		return nil, fmt.Errorf("get pool %s: %w", name, err)
	}
	return &out, nil
}
