package governor

import (
	"math"
	"time"

	"github.com/ratelord/ratelord/quota"
)

// burnTau is the time constant of the smoothed burn rate: grants older than
// a few minutes hardly count.
const burnTau = time.Minute

// burnRate is an exponentially decaying rate of units granted per second.
type burnRate struct {
	Rate float64 // units per second at Last
	Last int64   // ns
}

// add records units granted at now. Decay is applied at most once a
// millisecond (a relative error under 2e-5): a hot pool then pays no
// exponential per grant.
func (b *burnRate) add(now, units int64) {
	if now-b.Last >= int64(time.Millisecond) {
		b.Rate = b.at(now)
		b.Last = now
	}
	b.Rate += float64(units) / burnTau.Seconds()
}

// at returns the rate at now.
func (b *burnRate) at(now int64) float64 {
	if b.Rate == 0 || now <= b.Last {
		return b.Rate
	}
	return b.Rate * math.Exp(-float64(now-b.Last)/float64(burnTau))
}

// forecast returns when a limit with usage u runs dry at the burn rate, or
// zero when it will not before it resets (fixed) or at all (sliding and
// bucket, which refill at limit/window: they run dry only when burned
// faster than that).
func forecast(lim quota.Limit, u quota.Usage, rate float64, now int64) time.Time {
	if rate <= 0 {
		return time.Time{}
	}
	drain := rate
	if lim.Algorithm != quota.Fixed {
		drain -= float64(lim.Limit) / (float64(lim.Window) / float64(time.Second))
	}
	if drain <= 0 {
		return time.Time{}
	}
	at := now + int64(float64(u.Remaining)/drain*float64(time.Second))
	if lim.Algorithm == quota.Fixed && at >= u.ResetAt {
		return time.Time{}
	}
	return time.Unix(0, at).UTC()
}

// forecastPools logs a warning, once per episode, for each pool whose
// shared view is forecast to run dry before it resets. Callers hold g.mu.
func (g *Governor) forecastPools(now int64) {
	for _, def := range g.pol.Pools {
		p := g.pools[def.Name]
		k := p.keys[""]
		if k == nil || def.PerIdentity {
			p.warned = false
			continue
		}
		rate := p.burn.at(now)
		u := p.limits[0].Usage(&k.states[0], now)
		at := forecast(p.limits[0], u, rate, now)
		switch {
		case !at.IsZero() && !p.warned:
			p.warned = true
			g.Logger.Warn("pool forecast to run dry", "pool", def.Name, "remaining", u.Remaining,
				"burn_per_second", math.Round(rate*100)/100, "dry_at", at, "resets_at", time.Unix(0, u.ResetAt).UTC())
		case at.IsZero():
			p.warned = false
		}
	}
}
