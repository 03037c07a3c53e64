package governor

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"slices"
	"time"

	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/quota"
)

// snapshot is the governor's whole state at one seq.
type snapshot struct {
	Seq     int64                   `json:"seq"`
	LeaseNo LeaseID                 `json:"lease_no"`
	Pools   map[string]snapshotPool `json:"pools"`
	Leases  []snapshotLease         `json:"leases"`
}

type snapshotPool struct {
	Limits []quota.Limit
	Keys   map[string][]quota.State
	Holds  map[string]int64 // upstream holds still in force, by identity
	Burn   burnRate
}

type snapshotLease struct {
	ID       LeaseID         `json:"id"`
	Identity string          `json:"identity,omitempty"`
	Priority policy.Priority `json:"priority"`
	At       int64           `json:"at"`
	Expires  int64           `json:"expires"`
	Costs    Costs           `json:"costs"`
}

// Snapshot hands the store a snapshot of the whole state, so that a restart
// replays only the events after it. It returns the snapshot's seq. The lock
// is held only to copy the state; encoding happens outside it.
func (g *Governor) Snapshot() (int64, error) {
	s := g.copyState()
	// gob, not JSON: a hot sliding window holds an entry per grant, and a
	// snapshot is taken every 100k events.
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return 0, fmt.Errorf("encode snapshot: %w", err)
	}
	data := buf.Bytes()
	g.Store.SaveSnapshot(s.Seq, data)
	return s.Seq, nil
}

// copyState copies what a snapshot holds, under the lock.
func (g *Governor) copyState() snapshot {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := snapshot{Seq: g.seq, LeaseNo: g.leaseNo, Pools: make(map[string]snapshotPool, len(g.pools))}
	for name, p := range g.pools {
		sp := snapshotPool{Limits: p.limits, Keys: make(map[string][]quota.State, len(p.keys)), Holds: map[string]int64{}, Burn: p.burn}
		for id, k := range p.keys {
			if k.hold > 0 {
				sp.Holds[id] = k.hold
			}
			states := make([]quota.State, len(k.states))
			for i := range k.states {
				states[i] = k.states[i].Clone()
			}
			sp.Keys[id] = states
		}
		s.Pools[name] = sp
	}
	s.Leases = make([]snapshotLease, 0, len(g.leases))
	for _, l := range g.leases {
		s.Leases = append(s.Leases, snapshotLease{ID: l.id, Identity: l.identity, Priority: l.priority, At: l.at, Expires: l.expires, Costs: slices.Clone(l.costs)})
	}
	return s
}

// recover loads the newest snapshot and replays every later event.
func (g *Governor) recover(ctx context.Context) error {
	seq, data, err := g.Store.LoadSnapshot(ctx)
	if err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	if data != nil {
		var s snapshot
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
			return fmt.Errorf("decode snapshot %d: %w", seq, err)
		}
		g.restore(s)
	}
	err = g.Store.Replay(ctx, seq, func(e Event) error {
		g.apply(e)
		if e.Type != EventGrant { // a grant's time may be a waiter's future slot
			g.last = max(g.last, e.Time.UnixNano())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replay events: %w", err)
	}
	if g.seq, err = g.Store.LastSeq(ctx); err != nil {
		return fmt.Errorf("read last seq: %w", err)
	}
	g.Maintain(g.Now())
	return nil
}

// restore installs a snapshot into the freshly built pools, keeping state by
// pool name as a reload does.
func (g *Governor) restore(s snapshot) {
	g.leaseNo = s.LeaseNo
	for name, sp := range s.Pools {
		p := g.pools[name]
		if p == nil {
			continue
		}
		p.burn = sp.Burn
		for id, until := range sp.Holds {
			p.keyFor(id, true).hold = until
		}
		for id, states := range sp.Keys {
			k := p.keyFor(id, true)
			for i := range p.limits {
				if i < len(sp.Limits) && i < len(states) && sameKind(sp.Limits[i], p.limits[i]) {
					k.states[i] = states[i]
				}
			}
		}
	}
	for _, sl := range s.Leases {
		g.openLease(&lease{id: sl.ID, identity: sl.Identity, priority: sl.Priority, at: sl.At, expires: sl.Expires, costs: sl.Costs})
	}
}

// apply replays one event's state change.
func (g *Governor) apply(e Event) {
	switch e.Type {
	case EventGrant:
		pr, _ := policy.ParsePriority(e.Priority)
		l := &lease{id: e.LeaseID, identity: e.Identity, priority: pr, at: e.Time.UnixNano(), expires: e.Expires.UnixNano(), costs: e.Pools}
		g.leaseNo = max(g.leaseNo, e.LeaseID)
		for _, c := range l.costs {
			if p := g.pools[c.Pool]; p != nil {
				k := p.keyFor(l.identity, true)
				// No pruning here: a waited grant's slot can be later than
				// the events after it. Open prunes once replay is done.
				for i := range p.limits {
					p.limits[i].Charge(&k.states[i], l.at, c.Units)
				}
				p.burn.add(l.at, c.Units) // at the slot: the decision time is not logged
			}
		}
		g.openLease(l)
	case EventObserve:
		for _, c := range e.Pools {
			if p := g.pools[c.Pool]; p != nil {
				k := p.keyFor(e.Identity, true)
				if !e.Expires.IsZero() {
					p.limits[0].Align(&k.states[0], e.Expires.UnixNano())
				}
				if c.Units > 0 {
					p.limits[0].Charge(&k.states[0], e.Time.UnixNano(), c.Units)
				}
			}
		}
	case EventHold:
		for _, c := range e.Pools {
			if p := g.pools[c.Pool]; p != nil {
				k := p.keyFor(e.Identity, true)
				k.hold = max(k.hold, e.Expires.UnixNano())
			}
		}
	case EventSettle, EventRelease, EventExpire:
		l := g.leases[e.LeaseID]
		if l == nil {
			return
		}
		var actual Costs
		if e.Type == EventSettle {
			actual = make(Costs, len(l.costs))
			for i, c := range l.costs {
				units, ok := e.Pools.Units(c.Pool)
				if !ok {
					units = c.Units
				}
				actual[i] = Cost{Pool: c.Pool, Units: units}
			}
		}
		g.applyClose(l, actual, e.Time.UnixNano())
	}
}

// openLease records l and counts it on its keys (restore and replay).
func (g *Governor) openLease(l *lease) {
	g.leases[l.id] = l
	for _, c := range l.costs {
		if p := g.pools[c.Pool]; p != nil {
			p.keyFor(l.identity, true).open++
		}
	}
}

// Reload swaps in a new, already validated policy. Pool state is kept by
// pool name; the next request sees the new limits.
func (g *Governor) Reload(p *policy.Policy) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pools = buildPools(p, g.pools)
	g.pol = p
	g.Store.Append(Event{
		Seq: g.nextSeq(), Time: g.clock().UTC(), Type: EventReload,
		Message: fmt.Sprintf("policy from %s: %d pools, %d upstreams", p.Source, len(p.Pools), len(p.Upstreams)),
	})
}

// Maintain expires leases past their TTL and drops identities whose state
// has emptied. The daemon calls it every second or so.
func (g *Governor) Maintain(now time.Time) {
	g.ExpireLeases(now)
	g.mu.Lock()
	defer g.mu.Unlock()
	ns := g.after(now).UnixNano()
	g.forecastPools(ns)
	for _, p := range g.pools {
		for id, k := range p.keys {
			if k.hold <= ns {
				k.hold = 0
			}
			empty := k.open == 0 && k.hold == 0 && (k.lastDeny == 0 || ns-k.lastDeny >= p.limits[0].Window)
			for i := range p.limits {
				if !p.limits[i].Prune(&k.states[i], ns) {
					empty = false
				}
			}
			if empty {
				delete(p.keys, id)
			}
		}
	}
}

// Seq returns the seq of the newest event.
func (g *Governor) Seq() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seq
}

// ReloadFailed records a refused reload in the audit log.
func (g *Governor) ReloadFailed(msg string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.Store.Append(Event{Seq: g.nextSeq(), Time: g.clock().UTC(), Type: EventReload, Reason: "invalid_policy", Message: msg})
}
