package governor

import (
	"context"
	"math"
	"time"

	"github.com/ratelord/ratelord/policy"
)

// lease is an open grant.
type lease struct {
	id       LeaseID
	identity string
	priority policy.Priority
	at       int64 // when its units count
	expires  int64
	costs    Costs   // charged per pool
	buf      [2]Cost // costs' first backing array
}

// Settle sets the actual cost of a lease and closes it. A single cost
// applies to a lease of one pool; pools sets the cost per pool (pools not
// named keep their charge). Units refunded free quota at once. It returns
// once the settle is in the audit log.
func (g *Governor) Settle(leaseID LeaseID, cost *int64, pools Costs) error {
	seq, err := g.settle(leaseID, cost, pools)
	if err != nil {
		return err
	}
	return g.durable(seq)
}

func (g *Governor) settle(leaseID LeaseID, cost *int64, pools Costs) (int64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.leases[leaseID]
	if l == nil {
		return 0, unknownLease(leaseID)
	}
	actual := make(Costs, len(l.costs))
	copy(actual, l.costs)
	switch {
	case cost != nil && pools != nil:
		return 0, Errorf(ErrInvalid, "give \"cost\" or \"pools\", not both")
	case cost != nil:
		if len(l.costs) != 1 {
			return 0, Errorf(ErrInvalid, "lease %s spans %d pools: settle with {\"pools\": {\"name\": units, ...}}", leaseID, len(l.costs))
		}
		actual[0].Units = *cost
	case pools != nil:
		for _, c := range pools {
			i := indexOf(actual, c.Pool)
			if i < 0 {
				return 0, Errorf(ErrInvalid, "lease %s holds no quota of pool %q: name only the lease's pools", leaseID, c.Pool)
			}
			actual[i].Units = c.Units
		}
	default:
		return 0, Errorf(ErrInvalid, "give the actual cost: {\"cost\": N} or {\"pools\": {\"name\": N}}")
	}
	for _, c := range actual {
		if c.Units < 0 {
			return 0, Errorf(ErrInvalid, "cost %d for pool %s is out of range: use 0 (refund all) or more", c.Units, c.Pool)
		}
	}
	return g.closeLease(l, actual, EventSettle, ""), nil
}

// Release closes a lease; its charge stays. It returns once the release is
// in the audit log.
func (g *Governor) Release(leaseID LeaseID) error {
	g.mu.Lock()
	l := g.leases[leaseID]
	if l == nil {
		g.mu.Unlock()
		return unknownLease(leaseID)
	}
	seq := g.closeLease(l, nil, EventRelease, "")
	g.mu.Unlock()
	return g.durable(seq)
}

// durable waits for the event seq to be committed.
func (g *Governor) durable(seq int64) error {
	if err := g.Store.Durable(context.Background(), seq); err != nil {
		g.Logger.Error("lease change not committed", "seq", seq, "err", err)
		return Errorf(ErrUnavailable, "the audit log could not be written: check the database disk")
	}
	return nil
}

// cancel refunds a lease whose grant was never acknowledged or whose waiter
// left before its slot.
func (g *Governor) cancel(leaseID LeaseID, why string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if l := g.leases[leaseID]; l != nil {
		zero := make(Costs, len(l.costs))
		for i, c := range l.costs {
			zero[i] = Cost{Pool: c.Pool}
		}
		g.closeLease(l, zero, EventSettle, why)
	}
}

// ExpireLeases closes every lease whose TTL has passed by now; their charges
// stay. The daemon calls it periodically.
func (g *Governor) ExpireLeases(now time.Time) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	ns, n := g.after(now).UnixNano(), 0
	for _, l := range g.leases {
		if l.expires <= ns {
			g.closeLease(l, nil, EventExpire, "lease_ttl passed before it was settled or released")
			n++
		}
	}
	return n
}

// closeLease applies the actual costs (nil keeps the charge), frees the
// lease's concurrency slots and records the event, whose seq it returns.
// Callers hold g.mu.
func (g *Governor) closeLease(l *lease, actual Costs, typ EventType, msg string) int64 {
	now := g.clock()
	g.applyClose(l, actual, now.UnixNano())
	seq := g.nextSeq()
	g.Store.Append(Event{
		Seq: seq, Time: now.UTC(), Type: typ, LeaseID: l.id,
		Identity: l.identity, Priority: l.priority.String(), Pools: actual, Message: msg,
	})
	if len(g.free) < maxFree {
		g.free = append(g.free, l)
	}
	return seq
}

// applyClose is the state change of closing a lease, shared with replay.
func (g *Governor) applyClose(l *lease, actual Costs, now int64) {
	delete(g.leases, l.id)
	for i, c := range l.costs {
		p := g.pools[c.Pool]
		if p == nil {
			continue // the pool left the policy
		}
		k := p.keyFor(l.identity, true)
		if actual != nil {
			if delta := actual[i].Units - c.Units; delta != 0 {
				for j := range p.limits {
					p.limits[j].Adjust(&k.states[j], now, l.at, delta)
				}
			}
		}
		if k.open > 0 {
			k.open--
		}
	}
	if g.released != nil {
		close(g.released)
		g.released = nil
	}
}

// leaseFreeAt returns how long until a lease holding pt's key expires.
// Callers hold g.mu.
func (g *Governor) leaseFreeAt(pt part, now time.Time) time.Duration {
	first := int64(math.MaxInt64)
	for _, l := range g.leases {
		if l.expires < first && indexOf(l.costs, pt.name) >= 0 && pt.p.keyFor(l.identity, false) == pt.k {
			first = l.expires
		}
	}
	if first == math.MaxInt64 {
		return 0
	}
	return time.Duration(first - now.UnixNano())
}

func indexOf(c Costs, pool string) int {
	for i, x := range c {
		if x.Pool == pool {
			return i
		}
	}
	return -1
}

func unknownLease(id LeaseID) error {
	return Errorf(ErrUnknownLease, "unknown lease %q: it was settled, released or expired, or never existed", id)
}

// OpenLeases returns the number of open leases.
func (g *Governor) OpenLeases() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.leases)
}
