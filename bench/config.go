package bench

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Defaults of Config's zero fields.
const (
	DefaultConcurrency = 16
	DefaultDuration    = 10 * time.Second
	// DefaultPool is the pool the baseline's bodies name when no pool is given.
	DefaultPool = "bench"
)

// PoolWeight is one pool of the mix and its share of the requests.
type PoolWeight struct {
	Name   string
	Weight int // relative share, > 0
}

// Config describes one load run. The zero value of each field has the
// default given in its comment.
type Config struct {
	// URL is the daemon's base URL, such as http://127.0.0.1:8090. Not
	// needed with BaselineOnly.
	URL string
	// Token, when set, is sent as a bearer token to the daemon.
	Token string
	// Concurrency is the number of workers, each one keep-alive connection
	// sending one request at a time (default 16).
	Concurrency int
	// Requests, when > 0, is the exact number of counted acquires; it
	// overrides Duration.
	Requests int64
	// Duration is how long the counted part of the run lasts (default 10s).
	Duration time.Duration
	// Warmup runs before the counted part and is not counted (default none).
	Warmup time.Duration

	// Pools is the weighted mix of pools; each acquire draws one. At least
	// one is required unless BaselineOnly.
	Pools []PoolWeight
	// CostMin and CostMax bound the cost of each acquire, drawn uniformly
	// (default 1 and CostMin).
	CostMin, CostMax int64
	// Identities, when > 0, spreads acquires over the identities
	// bench-0 ... bench-(Identities-1).
	Identities int
	// Priority is sent as is when set ("low", "normal", "high", "critical").
	Priority string
	// MaxWait lets the daemon hold each acquire this long (default 0).
	MaxWait time.Duration

	// Rate, when > 0, makes the run open-loop: acquires are scheduled at
	// Rate per second across all workers, and latency is measured from each
	// one's scheduled time, so that a slow answer delays and charges the
	// requests behind it (no coordinated omission).
	Rate float64
	// Settle releases each granted lease at once (DELETE /v1/leases/{id});
	// the releases are measured apart from the acquires.
	Settle bool

	// Baseline first measures an in-process bare net/http JSON handler
	// (StartBaseline) with the same settings, then the daemon, and reports
	// the daemon's figures as ratios of the baseline's.
	Baseline bool
	// BaselineOnly measures only the baseline.
	BaselineOnly bool
}

// Validate reports whether c can run: a field out of range, no pool, or a
// bad URL is an error that names it.
func (c Config) Validate() error {
	_, err := c.normalized()
	return err
}

// normalized returns c with its defaults filled in, or an error that says
// which field is wrong.
func (c Config) normalized() (Config, error) {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Duration == 0 && c.Requests == 0 {
		c.Duration = DefaultDuration
	}
	if c.Requests > 0 {
		c.Duration = 0
	}
	if c.CostMin == 0 && c.CostMax == 0 {
		c.CostMin = 1
	}
	if c.CostMax == 0 {
		c.CostMax = c.CostMin
	}
	if len(c.Pools) == 0 && c.BaselineOnly {
		c.Pools = []PoolWeight{{Name: DefaultPool, Weight: 1}}
	}
	switch {
	case c.Concurrency < 0:
		return c, fmt.Errorf("concurrency %d: want 1 or more workers", c.Concurrency)
	case c.Requests < 0 || c.Duration < 0 || c.Warmup < 0 || c.MaxWait < 0:
		return c, errors.New("requests, duration, warmup and max wait must not be negative")
	case c.CostMin < 0 || c.CostMax < c.CostMin:
		return c, fmt.Errorf("cost range %d-%d: want 0 <= min <= max", c.CostMin, c.CostMax)
	case c.Identities < 0:
		return c, fmt.Errorf("identities %d: want 0 or more", c.Identities)
	case c.Rate < 0:
		return c, fmt.Errorf("rate %g: want a positive number of requests per second", c.Rate)
	case len(c.Pools) == 0:
		return c, errors.New("name at least one pool to acquire from")
	}
	seen := make(map[string]bool, len(c.Pools))
	for _, p := range c.Pools {
		switch {
		case p.Name == "":
			return c, errors.New("a pool has an empty name")
		case p.Weight <= 0:
			return c, fmt.Errorf("pool %s: weight %d: want 1 or more", p.Name, p.Weight)
		case seen[p.Name]:
			return c, fmt.Errorf("pool %s is named twice: give it once, with its weight", p.Name)
		}
		seen[p.Name] = true
	}
	if !c.BaselineOnly {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("bad URL %q: want http://HOST:PORT", c.URL)
		}
	}
	return c, nil
}

// Settings is the part of a Config a report shows (never the token).
type Settings struct {
	URL          string         `json:"url,omitempty"`
	Concurrency  int            `json:"concurrency"`
	Requests     int64          `json:"requests,omitempty"`
	Duration     string         `json:"duration,omitempty"`
	Warmup       string         `json:"warmup"`
	Pools        map[string]int `json:"pools"`
	CostMin      int64          `json:"cost_min"`
	CostMax      int64          `json:"cost_max"`
	Identities   int            `json:"identities"`
	Priority     string         `json:"priority,omitempty"`
	MaxWait      string         `json:"max_wait"`
	Rate         float64        `json:"rate,omitempty"`
	Settle       bool           `json:"settle"`
	Baseline     bool           `json:"baseline"`
	BaselineOnly bool           `json:"baseline_only,omitempty"`
}

// settings returns the report's view of a normalized c.
func (c Config) settings() Settings {
	s := Settings{
		Concurrency: c.Concurrency, Requests: c.Requests, Warmup: c.Warmup.String(),
		Pools: make(map[string]int, len(c.Pools)), CostMin: c.CostMin, CostMax: c.CostMax,
		Identities: c.Identities, Priority: c.Priority, MaxWait: c.MaxWait.String(),
		Rate: c.Rate, Settle: c.Settle, Baseline: c.Baseline || c.BaselineOnly,
		BaselineOnly: c.BaselineOnly,
	}
	if !c.BaselineOnly {
		s.URL = c.URL
	}
	if c.Requests == 0 {
		s.Duration = c.Duration.String()
	}
	for _, p := range c.Pools {
		s.Pools[p.Name] = p.Weight
	}
	return s
}
