package governor

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Observation is what an upstream said about one pool: from the proxy, from
// a client's POST /v1/observe, or from polling. Unknown numbers are -1.
type Observation struct {
	Pool       string
	Identity   string
	Limit      int64     // -1 when unknown
	Remaining  int64     // -1 when unknown
	ResetAt    time.Time // zero when unknown
	Limited    bool      // the upstream refused (429): hold the pool
	RetryAfter time.Duration
	Status     int    // the upstream's HTTP status, 0 when not from an answer
	Source     string // proxy, observe or poll
}

// Observed is the latest observation of a pool, shown in its PoolState.
type Observed struct {
	At        time.Time `json:"at"`
	Source    string    `json:"source"`
	Status    int       `json:"status,omitempty"`
	Limit     int64     `json:"limit"`     // -1 when unknown
	Remaining int64     `json:"remaining"` // -1 when unknown
	ResetAt   time.Time `json:"reset_at,omitzero"`
	HeldUntil time.Time `json:"held_until,omitzero"`
}

// Hold bounds, and the default hold after a 429 that names no retry time.
const (
	defaultHold = 5 * time.Second
	maxHold     = time.Hour
)

// Observe corrects a pool from upstream truth. The governor never believes
// more remains than the upstream reports: the difference is charged at once
// to the pool's first limit (the one upstream headers describe; order a
// pool's limits accordingly). A fixed first limit adopts the upstream's reset
// time. A refusal holds the pool until Retry-After, or the reset, has passed.
func (g *Governor) Observe(o Observation) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.pools[o.Pool]
	if p == nil {
		return Errorf(ErrUnknownPool, "unknown pool %q: GET /v1/pools lists the pools of the policy", o.Pool)
	}
	if o.Remaining < -1 || o.Limit < -1 {
		return Errorf(ErrInvalid, "remaining and limit must be 0 or more (or left out)")
	}
	now := g.clock()
	k := p.keyFor(o.Identity, true)
	ob := Observed{At: now.UTC(), Source: o.Source, Status: o.Status, Limit: o.Limit, Remaining: o.Remaining, ResetAt: o.ResetAt.UTC()}
	if o.Remaining >= 0 || !o.ResetAt.IsZero() {
		charged := g.correct(p, k, now.UnixNano(), o.Remaining, o.ResetAt)
		if charged > 0 || !o.ResetAt.IsZero() {
			g.Store.Append(Event{
				Seq: g.nextSeq(), Time: now.UTC(), Type: EventObserve, Identity: o.Identity,
				Pools: Costs{{Pool: o.Pool, Units: charged}}, Expires: o.ResetAt.UTC(),
				Message: fmt.Sprintf("%s: upstream reports %d remaining", o.Source, o.Remaining),
			})
		}
	}
	if o.Limited {
		hold := o.RetryAfter
		if hold <= 0 && o.ResetAt.After(now) {
			hold = o.ResetAt.Sub(now)
		}
		if hold <= 0 {
			hold = defaultHold
		}
		until := now.Add(min(hold, maxHold))
		if until.UnixNano() > k.hold {
			k.hold = until.UnixNano()
			g.Store.Append(Event{
				Seq: g.nextSeq(), Time: now.UTC(), Type: EventHold, Identity: o.Identity,
				Pools: Costs{{Pool: o.Pool}}, Expires: until.UTC(), Reason: string(ReasonUpstream),
				Message: fmt.Sprintf("%s: upstream answered %d; pool held until %s", o.Source, o.Status, until.UTC().Format(time.RFC3339)),
			})
			g.Logger.Warn("upstream refused: pool held", "pool", o.Pool, "status", o.Status, "until", until.UTC())
		}
	}
	if k.hold > now.UnixNano() {
		ob.HeldUntil = time.Unix(0, k.hold).UTC()
	}
	p.observed = &ob
	if g.Hooks.Observed != nil {
		g.Hooks.Observed(o.Pool, o.Source, o.Status, o.Limited)
	}
	return nil
}

// correct lowers what the first limit of p has left to remaining (when it
// believes more), after aligning a fixed limit to resetAt. It returns the
// units charged. Callers hold g.mu; replay calls it too.
func (g *Governor) correct(p *pool, k *key, now, remaining int64, resetAt time.Time) int64 {
	lim, st := p.limits[0], &k.states[0]
	if !resetAt.IsZero() {
		lim.Align(st, resetAt.UnixNano())
	}
	if remaining < 0 {
		return 0
	}
	if believed := lim.Usage(st, now).Remaining; believed > remaining {
		lim.Charge(st, now, believed-remaining)
		return believed - remaining
	}
	return 0
}

// jitter spreads callers released by an upstream hold: up to a tenth of the
// hold's length, at most a second.
func jitter(hold time.Duration) time.Duration {
	j := min(hold/10, time.Second)
	if j <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(j)))
}
