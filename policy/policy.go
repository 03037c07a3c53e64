// Package policy reads ratelord's policy file: the pools the daemon governs,
// their limits, and the upstreams it can proxy. Parsing is strict: unknown
// keys, wrong types, bad durations and references to pools or upstreams that
// do not exist are all errors, and every one is reported at once with its
// file, line and key path (Findings). A Policy is immutable once parsed; a
// reload parses a new one and swaps it in whole.
package policy

import (
	"time"

	"github.com/ratelord/ratelord/quota"
)

// Policy is a parsed and validated policy file: the pools the daemon governs
// and the upstreams it can proxy. A Policy is never modified after Parse
// returns it; a reload parses a new one.
type Policy struct {
	// Source is the file the policy came from, or "built-in example policy".
	Source string
	// Pools are the pools in file order.
	Pools []*Pool
	// Upstreams are the upstreams in file order.
	Upstreams []*Upstream
}

// Pool returns the pool with the given name, or nil if there is none.
func (p *Policy) Pool(name string) *Pool {
	for _, pool := range p.Pools {
		if pool.Name == name {
			return pool
		}
	}
	return nil
}

// Upstream returns the upstream with the given name, or nil if there is none.
func (p *Policy) Upstream(name string) *Upstream {
	for _, u := range p.Upstreams {
		if u.Name == name {
			return u
		}
	}
	return nil
}

// LongestWindow returns the longest window of any limit of any pool, or 0
// for a policy without limits. State older than that can no longer matter.
func (p *Policy) LongestWindow() time.Duration {
	var longest time.Duration
	for _, pool := range p.Pools {
		for _, l := range pool.Limits {
			longest = max(longest, l.Window)
		}
	}
	return longest
}

// Pool is a named quota. A grant must fit every one of its limits.
type Pool struct {
	// Name matches [a-z0-9][a-z0-9._-]*.
	Name string
	// Unit labels what the limits count; default "requests".
	Unit string
	// Limits holds at least one limit, in file order.
	Limits []Limit
	// Concurrency caps the leases open at once; 0 means no cap.
	Concurrency int
	// PerIdentity gives every identity its own copy of the limits
	// (per: identity).
	PerIdentity bool
	// Reserve holds, for each Priority, the basis points (1/100 of a percent)
	// of every limit held back from it. Reserve[Critical] is always 0, and
	// Reserve[Low] >= Reserve[Normal] >= Reserve[High].
	Reserve [4]int64
	// Upstream names the upstream whose observations correct this pool, or
	// is empty.
	Upstream string
	// OnStoreError is "deny" (the default) or "allow": what to do with a
	// request when the shared store cannot be reached.
	OnStoreError string
}

// Share returns the basis points of each limit that a request of priority
// pr may use: quota.FullShare (10000) - Reserve[pr]. Priorities above
// Critical count as Critical.
func (p *Pool) Share(pr Priority) int64 {
	if pr > Critical {
		pr = Critical
	}
	return quota.FullShare - p.Reserve[pr]
}

// Capacity returns the most units a single grant can ever take from the
// pool: the smallest burst (or, without one, limit) of its limits.
func (p *Pool) Capacity() int64 {
	var c int64
	for i, l := range p.Limits {
		if i == 0 || l.Capacity() < c {
			c = l.Capacity()
		}
	}
	return c
}

// Limit is Limit units per Window, counted by Algorithm.
type Limit struct {
	// Limit is the number of units per window; positive.
	Limit int64
	// Window is positive.
	Window time.Duration
	// Algorithm is quota.Sliding unless the file says otherwise.
	Algorithm quota.Algorithm
	// Burst is 0 for the default: for a bucket, its capacity is Limit; for
	// sliding and fixed limits, no smoothing. Otherwise it is positive and,
	// for sliding and fixed, at most Limit.
	Burst int64
}

// Quota returns the limit as the quota package takes it: Window in
// nanoseconds, and for a bucket without a burst, Burst = Limit.
func (l Limit) Quota() quota.Limit {
	q := quota.Limit{Algorithm: l.Algorithm, Limit: l.Limit, Window: int64(l.Window), Burst: l.Burst}
	if l.Algorithm == quota.Bucket && q.Burst == 0 {
		q.Burst = l.Limit
	}
	return q
}

// Capacity returns the most units a single grant can take from this limit:
// its burst when it has one, else its limit.
func (l Limit) Capacity() int64 {
	if l.Burst > 0 {
		return l.Burst
	}
	return l.Limit
}
