package governor

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/quota"
)

// Reason says why an acquire was denied.
type Reason string

// The reasons for a denial.
const (
	ReasonQuota       Reason = "quota_exhausted"
	ReasonReserved    Reason = "reserved_for_priority"
	ReasonConcurrency Reason = "concurrency_limit"
	ReasonUpstream    Reason = "upstream_limited"
	ReasonStore       Reason = "store_unavailable"
)

// Request asks for quota from one or more pools, all or nothing.
type Request struct {
	Pools    Costs // at least one pool; units may be 0
	Identity string
	Priority policy.Priority
	MaxWait  time.Duration // how long the caller lets the governor hold it
	LeaseTTL time.Duration // 0 means DefaultLeaseTTL
	// States asks for the pools' states in the decision (they cost
	// allocations, so callers that do not show them leave it off).
	States bool
}

// Decision is the answer to a Request. Over-limit is a decision, not an error.
type Decision struct {
	Granted    bool
	LeaseID    LeaseID
	At         time.Time     // when the granted units count (a waiter's slot)
	Waited     time.Duration // how long the caller was held
	Reason     Reason
	Message    string
	RetryAfter time.Duration // earliest time the same request fits, from now
	Pools      []PoolState

	decided time.Time // when the governor decided
}

// Acquire decides r. A grant is returned only once its event is durable; a
// waiter is held until its slot. If ctx ends first, the booked units are
// given back and ctx's error is returned.
func (g *Governor) Acquire(ctx context.Context, r Request) (Decision, error) {
	if err := r.check(); err != nil {
		return Decision{}, err
	}
	if r.LeaseTTL == 0 {
		r.LeaseTTL = DefaultLeaseTTL
	}
	// The clock is read once, here at the edge, outside the lock; decide
	// moves it forward to the latest decision if another went first.
	start := g.Now()
	deadline := start.Add(r.MaxWait)
	for now := start; ; now = g.Now() {
		d, seq, wake, err := g.decide(r, now, deadline)
		if err != nil {
			return d, err
		}
		if d.Granted {
			// Counted once durable: a failed commit is a store_unavailable denial.
			d, err = g.complete(ctx, d, seq, start)
			if err == nil {
				if g.Hooks.Decided != nil {
					for _, c := range r.Pools {
						g.Hooks.Decided(c.Pool, d.Granted, d.Reason)
					}
				}
				if g.Hooks.Acquired != nil {
					g.Hooks.Acquired(g.Now().Sub(start), d.Waited)
				}
			}
			return d, err
		}
		if wake == nil {
			if g.Hooks.Acquired != nil {
				g.Hooks.Acquired(g.Now().Sub(start), 0)
			}
			return d, nil
		}
		// Held back only by a concurrency cap: wait for a lease to close.
		left := deadline.Sub(now)
		wctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-wake:
				cancel()
			case <-wctx.Done():
			}
		}()
		_ = g.Sleep(wctx, left)
		cancel()
		if ctx.Err() != nil {
			return Decision{}, ctx.Err()
		}
		// Woken or out of time: decide again; past the deadline it is final.
	}
}

// check validates the shape of r.
func (r *Request) check() error {
	if len(r.Pools) == 0 {
		return Errorf(ErrInvalid, "name a pool: give \"pool\" (and \"cost\") or \"pools\"")
	}
	for i, c := range r.Pools {
		if c.Units < 0 {
			return Errorf(ErrInvalid, "cost for pool %q is %d: costs must be 0 or more", c.Pool, c.Units)
		}
		for _, o := range r.Pools[:i] {
			if o.Pool == c.Pool {
				return Errorf(ErrInvalid, "pool %q is named twice: name each pool once", c.Pool)
			}
		}
	}
	if r.MaxWait < 0 {
		return Errorf(ErrInvalid, "max_wait %s is negative: use 0 (do not wait) or a positive duration", r.MaxWait)
	}
	if r.LeaseTTL < 0 || r.LeaseTTL > MaxLeaseTTL {
		return Errorf(ErrInvalid, "lease_ttl %s is out of range: use a duration between 1s and %s", r.LeaseTTL, MaxLeaseTTL)
	}
	return nil
}

// part is one pool of a request, resolved under the lock.
type part struct {
	name string
	p    *pool
	k    *key
	id   string // the identity as given
	cost int64
}

// decide makes the decision for r under the lock. For a grant it returns the
// seq of its event; for a denial caused only by a concurrency cap, with time
// left to wait, it returns a channel closed when a slot may have freed (and
// records no event yet: the caller waits and decides again).
func (g *Governor) decide(r Request, now, deadline time.Time) (Decision, int64, <-chan struct{}, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return Decision{}, 0, nil, Errorf(ErrUnavailable, "ratelord-d is shutting down: retry against another replica or after it restarts")
	}
	now = g.after(now)
	ns := now.UnixNano()
	var buf [4]part
	parts := buf[:0]
	for _, c := range r.Pools {
		p := g.pools[c.Pool]
		if p == nil {
			return Decision{}, 0, nil, Errorf(ErrUnknownPool, "unknown pool %q: GET /v1/pools lists the pools of the policy", c.Pool)
		}
		if err := p.fits(c.Units, r.Priority); err != nil {
			return Decision{}, 0, nil, err
		}
		parts = append(parts, part{name: c.Pool, p: p, k: p.keyFor(r.Identity, true), id: r.Identity, cost: c.Units})
	}

	for _, pt := range parts {
		if c := pt.p.def.Concurrency; c > 0 && pt.k.open >= c {
			d := g.deny(r, parts, ns, ReasonConcurrency, g.leaseFreeAt(pt, now),
				fmt.Sprintf("pool %s: %d of %d concurrent leases are open", pt.name, pt.k.open, c))
			if r.MaxWait > 0 && now.Before(deadline) {
				if g.released == nil {
					g.released = make(chan struct{})
				}
				return d, 0, g.released, nil // not final: no event yet
			}
			g.recordDenial(r, now, d)
			return d, 0, nil, nil
		}
	}

	at, bind := earliest(parts, ns, ns, r.Priority)
	held := at != math.MaxInt64 && at == bind.k.hold
	if held {
		// Released by an upstream hold: spread the callers out.
		at += int64(jitter(time.Duration(at - ns)))
	}
	if at == math.MaxInt64 || at-ns > max(int64(deadline.Sub(now)), 0) {
		reason, msg := ReasonQuota, bind.p.exhausted(bind.k, ns)
		switch {
		case held:
			reason = ReasonUpstream
			msg = fmt.Sprintf("pool %s: the upstream refused; held until %s", bind.name, time.Unix(0, bind.k.hold).UTC().Format(time.RFC3339Nano))
		case r.Priority != policy.Critical:
			if full, _ := earliest(parts, ns, ns, policy.Critical); full == ns {
				reason = ReasonReserved
				msg = fmt.Sprintf("pool %s: the rest of its quota is held back for priorities above %s", bind.name, r.Priority)
			}
		}
		if reason == ReasonQuota {
			g.ranDry(bind, ns, at)
		}
		d := g.deny(r, parts, ns, reason, time.Duration(at-ns), msg)
		g.recordDenial(r, now, d)
		return d, 0, nil, nil
	}

	l := g.newLease()
	l.identity, l.priority, l.at, l.expires = r.Identity, r.Priority, at, at+int64(r.LeaseTTL)
	for _, pt := range parts {
		for i := range pt.p.limits {
			pt.p.limits[i].Charge(&pt.k.states[i], at, pt.cost)
		}
		pt.k.open++
		pt.p.burn.add(ns, pt.cost)
		l.costs = append(l.costs, Cost{Pool: pt.name, Units: pt.cost})
	}
	g.leases[l.id] = l
	seq := g.nextSeq()
	g.Store.Append(Event{
		Seq: seq, Time: time.Unix(0, at).UTC(), Type: EventGrant, LeaseID: l.id,
		Identity: r.Identity, Priority: r.Priority.String(), Pools: l.costs,
		Expires: time.Unix(0, l.expires).UTC(),
	})
	d := Decision{Granted: true, LeaseID: l.id, At: time.Unix(0, at).UTC(), decided: now}
	if r.States {
		d.Pools = g.statesOf(parts, ns)
	}
	return d, seq, nil, nil
}

// earliest returns the earliest time >= from at which every limit of every
// part fits and no upstream hold applies, and the part that bound it
// (MaxInt64 when never).
func earliest(parts []part, now, from int64, pr policy.Priority) (int64, part) {
	t, bind := from, parts[0]
	for iter := 0; iter < 1000; iter++ {
		moved := false
		for _, pt := range parts {
			if pt.k.hold > t {
				t, bind, moved = pt.k.hold, pt, true
			}
			share := pt.p.def.Share(pr)
			for i, lim := range pt.p.limits {
				e, ok := lim.Earliest(&pt.k.states[i], now, t, pt.cost, share)
				if !ok {
					return math.MaxInt64, pt
				}
				if e > t {
					t, bind, moved = e, pt, true
				}
			}
		}
		if !moved {
			return t, bind
		}
	}
	return math.MaxInt64, bind
}

// fits reports, as a request error, a cost that could never be granted.
func (p *pool) fits(cost int64, pr policy.Priority) error {
	for _, lim := range p.limits {
		if most := lim.MaxCost(quota.FullShare); cost > most {
			return Errorf(ErrInvalid, "cost %d is more than pool %s can ever grant at once (%d %s): split the request", cost, p.def.Name, most, p.def.Unit)
		}
		if usable := lim.MaxCost(p.def.Share(pr)); cost > usable {
			return Errorf(ErrInvalid, "cost %d is more than the %d %s a %s request may take from pool %s (the rest is reserved for higher priorities): lower the cost or raise the priority", cost, usable, p.def.Unit, pr, p.def.Name)
		}
	}
	return nil
}

// exhausted describes why key k of p is out of quota.
func (p *pool) exhausted(k *key, now int64) string {
	for i, lim := range p.limits {
		u := lim.Usage(&k.states[i], now)
		if u.Remaining <= 0 {
			return fmt.Sprintf("pool %s: %d of %d %s used per %s", p.def.Name, u.Used, lim.Limit, p.def.Unit, fmtDuration(time.Duration(lim.Window)))
		}
	}
	return fmt.Sprintf("pool %s: not enough %s left for this cost", p.def.Name, p.def.Unit)
}

// deny returns a denial decision. Callers hold g.mu.
func (g *Governor) deny(r Request, parts []part, now int64, reason Reason, retry time.Duration, msg string) Decision {
	d := Decision{Reason: reason, Message: msg, RetryAfter: max(retry, 0)}
	if r.States {
		d.Pools = g.statesOf(parts, now)
	}
	return d
}

// ranDry logs, once per episode, that a key of a pool ran out of quota: an
// episode ends when a whole window passes without a quota denial there.
// Callers hold g.mu.
func (g *Governor) ranDry(pt part, now, refill int64) {
	last := pt.k.lastDeny
	pt.k.lastDeny = now
	if last != 0 && now-last < pt.p.limits[0].Window {
		return
	}
	attrs := []any{"pool", pt.name, "limit", pt.p.limits[0].Limit, "window", fmtDuration(time.Duration(pt.p.limits[0].Window))}
	if pt.p.def.PerIdentity {
		attrs = append(attrs, "identity", pt.id)
	}
	if refill != math.MaxInt64 {
		attrs = append(attrs, "refills_at", time.Unix(0, refill).UTC())
	}
	g.Logger.Error("pool ran dry", attrs...)
}

// recordDenial writes a denial to the audit log and tells the hooks.
// Callers hold g.mu.
func (g *Governor) recordDenial(r Request, now time.Time, d Decision) {
	if g.Hooks.Decided != nil {
		for _, c := range r.Pools {
			g.Hooks.Decided(c.Pool, false, d.Reason)
		}
	}
	g.Store.Append(Event{
		Seq: g.nextSeq(), Time: now.UTC(), Type: EventDeny, Identity: r.Identity,
		Priority: r.Priority.String(), Pools: r.Pools, Reason: string(d.Reason), Message: d.Message,
	})
}

// complete waits for a grant's event to be durable and for its slot.
func (g *Governor) complete(ctx context.Context, d Decision, seq int64, start time.Time) (Decision, error) {
	if err := g.Store.Durable(ctx, seq); err != nil {
		g.cancel(d.LeaseID, "not acknowledged: "+err.Error())
		if ctx.Err() != nil {
			return Decision{}, ctx.Err()
		}
		g.Logger.Error("grant not committed", "lease_id", d.LeaseID, "err", err)
		return Decision{Reason: ReasonStore, Message: "the audit log could not be written, so nothing was granted: check the database disk", RetryAfter: time.Second, Pools: d.Pools}, nil
	}
	if !d.At.After(d.decided) {
		return d, nil // granted at once
	}
	if wait := d.At.Sub(g.Now()); wait > 0 {
		if err := g.Sleep(ctx, wait); err != nil {
			g.cancel(d.LeaseID, "waiter gone before its slot")
			return Decision{}, err
		}
	}
	d.Waited = max(g.Now().Sub(start), 0)
	return d, nil
}
