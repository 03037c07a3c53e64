package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ratelord/ratelord/governor"
)

// The per-pool gauges, read from Governor.Pools at every scrape. For a
// pool with several limits the figures are the tightest limit's (the least
// remaining), as in GET /v1/pools; a per-identity pool shows its shared view.
var (
	poolLimit = prometheus.NewDesc("ratelord_pool_limit",
		"Units the pool's tightest limit allows per window.", []string{labelPool}, nil)
	poolUsed = prometheus.NewDesc("ratelord_pool_used",
		"Units of the pool's tightest limit used in the current window.", []string{labelPool}, nil)
	poolRemaining = prometheus.NewDesc("ratelord_pool_remaining",
		"Units of the pool's tightest limit left in the current window.", []string{labelPool}, nil)
	poolLeases = prometheus.NewDesc("ratelord_pool_leases_open",
		"Leases open on the pool.", []string{labelPool}, nil)
	poolReset = prometheus.NewDesc("ratelord_pool_reset_seconds",
		"Seconds until the pool's tightest limit resets: all its units are back (0 when none is used).", []string{labelPool}, nil)
	poolBurn = prometheus.NewDesc("ratelord_pool_burn_rate",
		"The pool's recent spend in units per second, smoothed over about a minute.", []string{labelPool}, nil)
	poolExhaustion = prometheus.NewDesc("ratelord_pool_exhaustion_seconds",
		"Seconds until the pool runs dry at its burn rate; absent when that is after its reset, or never.", []string{labelPool}, nil)
	poolHeld = prometheus.NewDesc("ratelord_pool_held",
		"1 while an upstream refusal holds the pool, else 0.", []string{labelPool}, nil)
)

// poolCollector reports every pool of the governor's current policy at
// scrape time, so the values are always current and a pool removed by a
// reload disappears.
type poolCollector struct {
	g *governor.Governor
}

// Describe sends the descriptors of the per-pool gauges.
func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolLimit, poolUsed, poolRemaining, poolLeases, poolReset, poolBurn, poolExhaustion, poolHeld} {
		ch <- d
	}
}

// Collect sends the current state of every pool.
func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	pools := c.g.Pools()
	now := c.g.Now()
	for _, s := range pools {
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, s.Pool)
		}
		gauge(poolLimit, float64(s.Limit))
		gauge(poolUsed, float64(s.Used))
		gauge(poolRemaining, float64(s.Remaining))
		gauge(poolLeases, float64(s.LeasesOpen))
		gauge(poolReset, until(now, s.ResetAt))
		gauge(poolBurn, s.BurnRate)
		if s.ExhaustsAt != nil {
			gauge(poolExhaustion, until(now, *s.ExhaustsAt))
		}
		held := 0.0
		if s.HeldUntil != nil {
			held = 1
		}
		gauge(poolHeld, held)
	}
}

// until returns the seconds from now to t, never less than 0.
func until(now, t time.Time) float64 {
	return max(t.Sub(now).Seconds(), 0)
}
