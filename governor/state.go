package governor

import (
	"math"
	"strings"
	"time"

	"github.com/ratelord/ratelord/quota"
)

// PoolState is what one pool (or one identity's copy of it) looks like now.
// For several limits the top-level figures are those of the tightest one
// (the least remaining); Limits lists each.
type PoolState struct {
	Pool        string       `json:"pool"`
	Identity    string       `json:"identity"`
	Unit        string       `json:"unit"`
	Limit       int64        `json:"limit"`
	Window      string       `json:"window"`
	Algorithm   string       `json:"algorithm"`
	Used        int64        `json:"used"`
	Remaining   int64        `json:"remaining"`
	ResetAt     time.Time    `json:"reset_at"`
	LeasesOpen  int          `json:"leases_open"`
	Concurrency int          `json:"concurrency"`
	Identities  int          `json:"identities,omitempty"` // per-identity pools: identities with state
	Limits      []LimitState `json:"limits,omitempty"`
	// BurnRate is the pool's recent spend in units per second (smoothed over
	// about a minute, all identities together).
	BurnRate float64 `json:"burn_rate"`
	// ExhaustsAt is when the tightest limit runs dry at BurnRate; null when
	// that is after its reset, or never.
	ExhaustsAt *time.Time `json:"exhausts_at"`
	HeldUntil  *time.Time `json:"held_until,omitempty"` // an upstream hold in force
	Observed   *Observed  `json:"observed,omitempty"`   // the latest upstream observation
}

// LimitState is one limit of a pool.
type LimitState struct {
	Limit     int64     `json:"limit"`
	Window    string    `json:"window"`
	Algorithm string    `json:"algorithm"`
	Burst     int64     `json:"burst,omitempty"`
	Used      int64     `json:"used"`
	Remaining int64     `json:"remaining"`
	ResetAt   time.Time `json:"reset_at"`
}

// Pools returns the state of every pool in policy order. Per-identity pools
// show their shared view (identity "") and the count of identities.
func (g *Governor) Pools() []PoolState {
	g.mu.Lock()
	defer g.mu.Unlock()
	ns := g.clock().UnixNano()
	out := make([]PoolState, 0, len(g.pol.Pools))
	for _, def := range g.pol.Pools {
		out = append(out, g.state(def.Name, g.pools[def.Name], "", nil, ns))
	}
	return out
}

// Pool returns the state of one pool for identity.
func (g *Governor) Pool(name, identity string) (PoolState, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pools[name]
	if p == nil {
		return PoolState{}, Errorf(ErrUnknownPool, "unknown pool %q: GET /v1/pools lists the pools of the policy", name)
	}
	return g.state(name, p, identity, nil, g.clock().UnixNano()), nil
}

// statesOf returns the state of each part. Callers hold g.mu.
func (g *Governor) statesOf(parts []part, now int64) []PoolState {
	out := make([]PoolState, len(parts))
	for i, pt := range parts {
		out[i] = g.state(pt.name, pt.p, pt.id, pt.k, now)
	}
	return out
}

// state describes the partition of pool p for identity (k may be nil: a
// partition with no state yet). Callers hold g.mu.
func (g *Governor) state(name string, p *pool, identity string, k *key, now int64) PoolState {
	if !p.def.PerIdentity {
		identity = ""
	}
	if k == nil {
		k = p.keys[identity]
	}
	if k == nil {
		k = &key{states: make([]quota.State, len(p.limits))}
	}
	s := PoolState{
		Pool: name, Identity: identity, Unit: p.def.Unit,
		LeasesOpen: k.open, Concurrency: p.def.Concurrency,
	}
	if p.def.PerIdentity {
		s.Identities = len(p.keys)
	}
	rate := p.burn.at(now)
	s.BurnRate = math.Round(rate*1000) / 1000
	if k.hold > now {
		t := time.Unix(0, k.hold).UTC()
		s.HeldUntil = &t
	}
	s.Observed = p.observed
	var tight quota.Limit
	var tightUsage quota.Usage
	for i, lim := range p.limits {
		u := lim.Usage(&k.states[i], now)
		ls := LimitState{
			Limit: lim.Limit, Window: fmtDuration(time.Duration(lim.Window)),
			Algorithm: lim.Algorithm.String(), Burst: p.def.Limits[i].Burst,
			Used: u.Used, Remaining: u.Remaining, ResetAt: time.Unix(0, u.ResetAt).UTC(),
		}
		if i == 0 || ls.Remaining < s.Remaining {
			tight, tightUsage = lim, u
			s.Limit, s.Window, s.Algorithm = ls.Limit, ls.Window, ls.Algorithm
			s.Used, s.Remaining, s.ResetAt = ls.Used, ls.Remaining, ls.ResetAt
		}
		if len(p.limits) > 1 {
			s.Limits = append(s.Limits, ls)
		}
	}
	if at := forecast(tight, tightUsage, rate, now); !at.IsZero() {
		s.ExhaustsAt = &at
	}
	return s
}

// fmtDuration formats d the way a policy writes it: 1h, 1m30s, 24h, 500ms.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
