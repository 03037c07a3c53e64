package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// AcquireRequest asks for quota: either Cost units of Pool, or Pools (all or
// nothing across them), not both.
type AcquireRequest struct {
	// Pool is the pool to draw from when Pools is empty.
	Pool string
	// Cost is the units to charge Pool; 0 means 1. To open a lease that
	// costs nothing (say, only a concurrency slot), use Pools with 0 units.
	Cost int64
	// Pools maps pool names to units, for a grant that must fit every pool.
	Pools map[string]int64
	// Identity is who spends (an agent, a credential, a tenant).
	Identity string
	// Priority is "critical", "high", "normal" or "low"; empty means normal.
	Priority string
	// MaxWait is how long the daemon may hold the request until the grant
	// fits; 0 means answer at once. Canceling the context while it waits
	// gives the booked slot back.
	MaxWait time.Duration
	// LeaseTTL is how long the lease stays open unless settled or released;
	// 0 means the daemon's default.
	LeaseTTL time.Duration
}

// acquireBody is the wire form of AcquireRequest.
type acquireBody struct {
	Pool     string           `json:"pool,omitempty"`
	Cost     int64            `json:"cost,omitempty"`
	Pools    map[string]int64 `json:"pools,omitempty"`
	Identity string           `json:"identity,omitempty"`
	Priority string           `json:"priority,omitempty"`
	MaxWait  string           `json:"max_wait,omitempty"`
	LeaseTTL string           `json:"lease_ttl,omitempty"`
}

// Grant is a successful acquire: the units are charged and a lease is open.
type Grant struct {
	// LeaseID names the lease to settle or release.
	LeaseID string
	// Waited is how long the daemon held the request before granting it.
	Waited time.Duration
	// Pools is the state of the pools after the grant.
	Pools []PoolState
}

// acquireAnswer is the wire form of both a grant and a denial.
type acquireAnswer struct {
	Granted      bool        `json:"granted"`
	LeaseID      string      `json:"lease_id"`
	WaitedMS     int64       `json:"waited_ms"`
	Reason       string      `json:"reason"`
	Message      string      `json:"message"`
	RetryAfterMS int64       `json:"retry_after_ms"`
	Pools        []PoolState `json:"pools"`
}

// Acquire asks the daemon for quota. It returns the grant, or a *Denied
// error when the daemon says not now (HTTP 429, or 503 store_unavailable),
// or an *APIError for bad input such as an unknown pool.
func (c *Client) Acquire(ctx context.Context, req AcquireRequest) (*Grant, error) {
	if (req.Pool == "") == (len(req.Pools) == 0) {
		return nil, errors.New("acquire: set either Pool or Pools")
	}
	body := acquireBody{
		Pool: req.Pool, Pools: req.Pools,
		Identity: req.Identity, Priority: req.Priority,
		MaxWait: durationString(req.MaxWait), LeaseTTL: durationString(req.LeaseTTL),
	}
	if req.Pool != "" {
		body.Cost = max(req.Cost, 1)
	}
	r, err := c.do(ctx, http.MethodPost, "/v1/acquire", nil, body)
	if err != nil {
		return nil, fmt.Errorf("acquire: %w", err)
	}
	var a acquireAnswer
	isDenial := r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable
	if r.ok() || isDenial {
		if json.Unmarshal(r.body, &a) != nil {
			if r.ok() {
				return nil, fmt.Errorf("acquire: decode answer (HTTP %d): not a grant", r.status)
			}
			return nil, fmt.Errorf("acquire: %w", r.apiError())
		}
	}
	switch {
	case r.ok() && a.Granted:
		return &Grant{LeaseID: a.LeaseID, Waited: time.Duration(a.WaitedMS) * time.Millisecond, Pools: a.Pools}, nil
	case isDenial && a.Reason != "":
		d := &Denied{Reason: a.Reason, Message: a.Message, Pools: a.Pools,
			RetryAfter: time.Duration(a.RetryAfterMS) * time.Millisecond}
		if d.RetryAfter <= 0 {
			d.RetryAfter = retryAfterHeader(r.header)
		}
		return nil, d
	case r.ok():
		return nil, fmt.Errorf("acquire: HTTP %d without a grant", r.status)
	}
	return nil, fmt.Errorf("acquire: %w", r.apiError())
}

// Settle sets the actual cost of a single-pool lease (0 refunds all of it)
// and closes the lease. A lease that is already closed or expired gives an
// *APIError with Code CodeUnknownLease.
func (c *Client) Settle(ctx context.Context, leaseID string, cost int64) error {
	body := struct {
		Cost int64 `json:"cost"`
	}{cost}
	if err := c.call(ctx, http.MethodPost, leasePath(leaseID)+"/settle", nil, body, nil); err != nil {
		return fmt.Errorf("settle lease %s: %w", leaseID, err)
	}
	return nil
}

// SettlePools sets the actual cost per pool of a lease and closes it.
func (c *Client) SettlePools(ctx context.Context, leaseID string, pools map[string]int64) error {
	body := struct {
		Pools map[string]int64 `json:"pools"`
	}{pools}
	if err := c.call(ctx, http.MethodPost, leasePath(leaseID)+"/settle", nil, body, nil); err != nil {
		return fmt.Errorf("settle lease %s: %w", leaseID, err)
	}
	return nil
}

// Release closes a lease; its charge stays. A lease that is already closed
// or expired gives an *APIError with Code CodeUnknownLease.
func (c *Client) Release(ctx context.Context, leaseID string) error {
	if err := c.call(ctx, http.MethodDelete, leasePath(leaseID), nil, nil, nil); err != nil {
		return fmt.Errorf("release lease %s: %w", leaseID, err)
	}
	return nil
}

func leasePath(id string) string { return "/v1/leases/" + url.PathEscape(id) }

// durationString is d as a Go duration string, or "" for 0.
func durationString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}
