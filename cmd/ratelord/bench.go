package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ratelord/ratelord/bench"
)

func benchCmd() *command {
	return &command{
		name:    "bench",
		args:    "--pool NAME | --pools A=W,B=W [--concurrency N] [--duration D | --requests N] [flags]",
		summary: "load-test the daemon's acquire path and report decisions/s and latency",
		help: `Sends acquires to ratelord-d from --concurrency keep-alive workers, each
with one request at a time (closed loop), for --duration or exactly
--requests acquires after a --warmup that is not counted. Reports
decisions/s (grants and denials), errors by kind, and latency percentiles.
A 200 is a grant, a 429 a denial, anything else an error.

--rate R makes it open loop: R acquires a second in all, each timed from
its scheduled send time, so a slow answer also charges the ones queued
behind it (measure at half the closed-loop maximum, say).

--baseline first measures a bare net/http JSON handler in this process,
with the same client and settings, and shows the daemon's throughput and
p99 as ratios of it: what the daemon costs over HTTP and JSON alone on the
same machine. Give the bench pool a huge limit unless denials are the point:

    pools: {bench: {limit: 100000000, window: 1h}}

Ctrl-C stops the run and prints what was measured. --json prints one
object: {"target", "baseline", "ratio": {"throughput", "p99"}, "settings"}.`,
		run: runBench,
	}
}

func runBench(c *cli, cmd *command, args []string) int {
	fs := c.flagSet("ratelord bench")
	cfg := bench.Config{}
	fs.IntVar(&cfg.Concurrency, "concurrency", bench.DefaultConcurrency,
		"`N` workers, each one keep-alive connection sending one request at a time")
	fs.DurationVar(&cfg.Duration, "duration", bench.DefaultDuration, "how long to measure, after the warmup")
	fs.Int64Var(&cfg.Requests, "requests", 0, "measure exactly `N` acquires instead of a --duration")
	fs.DurationVar(&cfg.Warmup, "warmup", time.Second, "run this long first, without counting")
	fs.Func("pool", "acquire from pool `NAME` (repeatable, weight 1 each)", func(s string) error {
		cfg.Pools = append(cfg.Pools, bench.PoolWeight{Name: s, Weight: 1})
		return nil
	})
	fs.Func("pools", "a weighted mix of pools, e.g. `a=3,b=1`", func(s string) error {
		ws, err := parseWeights(s)
		cfg.Pools = append(cfg.Pools, ws...)
		return err
	})
	cost := fs.Int64("cost", 1, "units per acquire")
	costRange := fs.String("cost-range", "", "draw each cost uniformly from `LO-HI`, e.g. 1-5")
	fs.IntVar(&cfg.Identities, "identities", 0, "spread acquires over `N` identities bench-0 ... bench-N-1")
	fs.StringVar(&cfg.Priority, "priority", "", "critical, high, normal or low (default: the daemon's)")
	fs.DurationVar(&cfg.MaxWait, "max-wait", 0, "let the daemon hold each acquire this long for its units")
	fs.Float64Var(&cfg.Rate, "rate", 0, "open loop: send `R` acquires a second across all workers")
	fs.BoolVar(&cfg.Settle, "settle", false, "release each granted lease at once (DELETE), timed apart")
	fs.BoolVar(&cfg.Baseline, "baseline", false, "measure a bare net/http JSON handler first and compare")
	fs.BoolVar(&cfg.BaselineOnly, "baseline-only", false, "measure only the bare net/http JSON handler")
	pos, err := c.args(fs, args)
	switch {
	case err != nil:
	case len(pos) > 0:
		err = fmt.Errorf("unexpected argument %q (name pools with --pool)", pos[0])
	case isSet(fs, "duration") && isSet(fs, "requests"):
		err = errors.New("give --duration or --requests, not both")
	case isSet(fs, "cost") && *costRange != "":
		err = errors.New("give --cost or --cost-range, not both")
	case *costRange != "":
		cfg.CostMin, cfg.CostMax, err = parseRange(*costRange)
	case *cost < 1:
		err = fmt.Errorf("--cost %d: want 1 or more units", *cost)
	default:
		cfg.CostMin, cfg.CostMax = *cost, *cost
	}
	if err == nil && cfg.Concurrency < 1 {
		err = fmt.Errorf("--concurrency %d: want 1 or more", cfg.Concurrency)
	}
	if err == nil && len(cfg.Pools) == 0 && !cfg.BaselineOnly {
		err = errors.New("name a pool to acquire from: --pool NAME or --pools a=3,b=1")
	}
	cfg.URL, cfg.Token = c.url, c.token
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return c.usageError(cmd, fs, err)
	}

	ctx, stop := c.interruptible(context.Background())
	defer stop()
	what := c.url
	if cfg.BaselineOnly {
		what = "the baseline"
	} else if cfg.Baseline {
		what = "the baseline, then " + c.url
	}
	fmt.Fprintf(c.stderr, "ratelord bench: measuring %s (Ctrl-C stops and reports)\n", what)
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(c.stderr, "ratelord bench: %v\n", err)
		return exitError
	}
	if c.json {
		err = res.WriteJSON(c.stdout)
	} else {
		err = res.Print(c.stdout)
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "ratelord bench: write the report: %v\n", err)
		return exitError
	}
	if t := res.Target; t != nil && t.Errors > 0 && t.Granted+t.Denied == 0 {
		hint := ""
		if t.TransportErrors == t.Errors {
			hint = " (is ratelord-d running? set --url or RATELORD_URL)"
		}
		fmt.Fprintf(c.stderr, "ratelord bench: no acquire got a decision from %s: %s%s\n", c.url, t.FirstError, hint)
		return exitError
	}
	return exitOK
}

// parseWeights parses a pool mix such as "a=3,b=1"; a pool without "=W"
// has weight 1.
func parseWeights(s string) ([]bench.PoolWeight, error) {
	var ws []bench.PoolWeight
	for part := range strings.SplitSeq(s, ",") {
		name, weight, found := strings.Cut(strings.TrimSpace(part), "=")
		w := 1
		if found {
			n, err := strconv.Atoi(weight)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("pool %q: weight %q: want a whole number, 1 or more", name, weight)
			}
			w = n
		}
		if name == "" {
			return nil, fmt.Errorf("%q: want NAME=WEIGHT,NAME=WEIGHT", s)
		}
		ws = append(ws, bench.PoolWeight{Name: name, Weight: w})
	}
	return ws, nil
}

// parseRange parses a cost range such as "1-5".
func parseRange(s string) (lo, hi int64, err error) {
	a, b, found := strings.Cut(s, "-")
	lo, err1 := strconv.ParseInt(a, 10, 64)
	hi, err2 := strconv.ParseInt(b, 10, 64)
	if !found || err1 != nil || err2 != nil || lo < 0 || hi < lo || hi < 1 {
		return 0, 0, fmt.Errorf("--cost-range %q: want LO-HI with 0 <= LO <= HI and HI >= 1, e.g. 1-5", s)
	}
	return lo, hi, nil
}
