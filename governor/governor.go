// Package governor is ratelord's engine: it holds every pool's state in
// memory, decides acquires (granting, booking a slot for a waiter, or denying
// with an exact retry time), keeps leases, and writes every decision to a
// Store before it is acknowledged.
package governor

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/quota"
)

// DefaultLeaseTTL is how long a lease stays open when the caller names no TTL.
const DefaultLeaseTTL = 10 * time.Minute

// MaxLeaseTTL is the longest lease a caller may ask for.
const MaxLeaseTTL = 24 * time.Hour

// Governor decides acquires over a policy. Set the exported fields, then
// call Open. All methods are safe for concurrent use.
type Governor struct {
	Store  Store          // required: where events are made durable
	Policy *policy.Policy // required: the policy to start with
	Logger *slog.Logger   // default slog.Default()
	// Now is the clock; default time.Now. Tests inject their own.
	Now func() time.Time
	// Sleep waits for d or until ctx is done; default a real timer. A waiter
	// whose slot is in the future sleeps until it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Hooks are told what the governor decides (for metrics).
	Hooks Hooks

	mu       sync.Mutex
	pol      *policy.Policy
	pools    map[string]*pool
	leases   map[LeaseID]*lease
	free     []*lease // closed leases to reuse, so a grant allocates nothing
	seq      int64
	last     int64         // the latest time a decision was made at, ns
	leaseNo  LeaseID       // the highest lease id given out
	released chan struct{} // closed when a lease closes, made when a waiter needs it
	closed   bool
}

// Hooks let the daemon count what the governor does without the governor
// knowing how. Any field may be nil. They must be quick and must not call
// the governor (Observed and a denial's Decided run under its lock).
type Hooks struct {
	// Decided is called once per pool of every final decision; for a grant,
	// once it is durable.
	Decided func(pool string, granted bool, reason Reason)
	// Acquired is called once per acquire that got a decision, with the
	// time it took and the part of it spent waiting for a slot.
	Acquired func(latency, waited time.Duration)
	// Observed is called for every observation of a pool.
	Observed func(pool, source string, status int, limited bool)
}

// pool is the live state of one policy pool.
type pool struct {
	def      *policy.Pool
	limits   []quota.Limit
	keys     map[string]*key // by identity; "" when the pool is shared
	burn     burnRate        // units granted per second, smoothed
	observed *Observed       // the latest upstream observation
	warned   bool            // a forecast warning was logged for this episode
}

// key is one partition of a pool: the whole pool, or one identity's copy.
type key struct {
	states   []quota.State // one per limit
	open     int           // leases open on this key
	hold     int64         // no grant before this (an upstream refusal), ns
	lastDeny int64         // the last quota denial, for exhaustion episodes
}

// Open prepares the governor: it restores the state recorded in the store
// (the newest snapshot, then every later event) and is then ready to serve.
func (g *Governor) Open(ctx context.Context) error {
	if g.Store == nil || g.Policy == nil {
		return fmt.Errorf("open governor: Store and Policy are required")
	}
	if g.Logger == nil {
		g.Logger = slog.Default()
	}
	if g.Now == nil {
		g.Now = time.Now
	}
	if g.Sleep == nil {
		g.Sleep = sleep
	}
	g.leases = make(map[LeaseID]*lease)
	g.pol = g.Policy
	g.pools = buildPools(g.pol, nil)
	if err := g.recover(ctx); err != nil {
		return fmt.Errorf("open governor: %w", err)
	}
	return nil
}

// Close makes the governor refuse new work. Waiters already holding a slot
// keep it.
func (g *Governor) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// CurrentPolicy returns the policy in force.
func (g *Governor) CurrentPolicy() *policy.Policy {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pol
}

// buildPools makes the live pools of p, keeping the state of old pools by
// name. A limit keeps its state when its algorithm is unchanged (and, for a
// fixed limit, its window too); otherwise it starts empty.
func buildPools(p *policy.Policy, old map[string]*pool) map[string]*pool {
	pools := make(map[string]*pool, len(p.Pools))
	for _, def := range p.Pools {
		np := &pool{def: def, keys: make(map[string]*key)}
		for _, l := range def.Limits {
			np.limits = append(np.limits, l.Quota())
		}
		if op := old[def.Name]; op != nil {
			np.burn, np.observed, np.warned = op.burn, op.observed, op.warned
			for id, ok := range op.keys {
				if def.PerIdentity != op.def.PerIdentity {
					break
				}
				nk := &key{states: make([]quota.State, len(np.limits)), open: ok.open, hold: ok.hold, lastDeny: ok.lastDeny}
				for i := range np.limits {
					if i < len(op.limits) && sameKind(op.limits[i], np.limits[i]) {
						nk.states[i] = ok.states[i]
					}
				}
				np.keys[id] = nk
			}
		}
		pools[def.Name] = np
	}
	return pools
}

func sameKind(a, b quota.Limit) bool {
	if a.Algorithm != b.Algorithm {
		return false
	}
	return a.Algorithm != quota.Fixed || a.Window == b.Window
}

// keyFor returns the partition of p for identity, creating it when create.
func (p *pool) keyFor(identity string, create bool) *key {
	if !p.def.PerIdentity {
		identity = ""
	}
	k := p.keys[identity]
	if k == nil && create {
		k = &key{states: make([]quota.State, len(p.limits))}
		p.keys[identity] = k
	}
	return k
}

// clock returns the time to decide at: now, never earlier than a decision
// already applied. The state is pruned as time passes, so a decision made
// at an earlier time than one already applied could count too little.
// Callers hold g.mu.
func (g *Governor) clock() time.Time {
	return g.after(g.Now())
}

// after returns now (a clock reading taken before the lock), or the latest
// decision time if that is later, and records it. Callers hold g.mu.
func (g *Governor) after(now time.Time) time.Time {
	if ns := now.UnixNano(); ns > g.last {
		g.last = ns
		return now
	}
	return time.Unix(0, g.last)
}

// nextSeq returns the sequence number of the next event. Callers hold g.mu.
func (g *Governor) nextSeq() int64 {
	g.seq++
	return g.seq
}

// newLease returns a lease with a fresh id, reusing a closed one's memory.
// Callers hold g.mu.
func (g *Governor) newLease() *lease {
	var l *lease
	if n := len(g.free); n > 0 {
		l, g.free = g.free[n-1], g.free[:n-1]
		*l = lease{costs: l.costs[:0]}
	} else {
		l = &lease{}
		l.costs = l.buf[:0]
	}
	g.leaseNo++
	l.id = g.leaseNo
	return l
}

// maxFree bounds the closed leases kept for reuse.
const maxFree = 4096

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
