// Package bench is the load generator behind "ratelord bench": a fixed
// number of keep-alive workers send acquires to ratelord-d (closed loop, or
// open loop at a given rate) and the answers are counted and timed. With a
// baseline, the same client first measures a bare net/http JSON handler in
// this process, so that the daemon's figures read as a share of what HTTP
// and JSON alone allow on the same machine.
package bench

import (
	"context"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// headerGrace is how long past its max wait an acquire may go without
// response headers before it counts as a transport error.
const headerGrace = 30 * time.Second

// Run measures the baseline (when asked) and then the daemon, and returns
// the report. Only a bad Config is an error: failed requests are counted in
// the report. When ctx is canceled, Run stops sending, waits for the
// requests in flight, and returns what it measured until then, with
// Interrupted set and a nil error.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return Result{}, err
	}
	res := Result{Settings: cfg.settings()}
	if cfg.Baseline || cfg.BaselineOnly {
		url, stop, err := StartBaseline()
		if err != nil {
			return res, err
		}
		st := measure(ctx, cfg, "baseline", url, "")
		stop()
		res.Baseline = &st
		if cfg.BaselineOnly || st.Interrupted {
			return res, nil
		}
	}
	st := measure(ctx, cfg, "ratelord", cfg.URL, cfg.Token)
	res.Target = &st
	if b := res.Baseline; b != nil {
		res.Ratio = &Ratio{
			Throughput: divide(st.DecisionsPerSecond(), b.DecisionsPerSecond()),
			P99:        divide(float64(st.Latency.P99), float64(b.Latency.P99)),
		}
	}
	return res, nil
}

func divide(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// run is one measurement of one server: its schedule and shared client.
type run struct {
	cfg        Config
	name       string
	base       string // the server's URL without a trailing slash
	acquireURL string
	header     http.Header // sent with every request; read-only
	client     *http.Client
	mix        *mix

	start, measureStart time.Time
	end                 time.Time // duration mode: no new counted request from then
	interval            float64   // open loop: nanoseconds between two acquires
	firstSlot           int64     // open loop: the first counted slot
	next                atomic.Int64
}

// measure runs cfg against the server at url and returns what it answered.
func measure(ctx context.Context, cfg Config, name, url, token string) Stats {
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          cfg.Concurrency,
		MaxIdleConnsPerHost:   cfg.Concurrency,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: cfg.MaxWait + headerGrace,
	}
	defer tr.CloseIdleConnections()
	r := &run{cfg: cfg, name: name, base: strings.TrimSuffix(url, "/"),
		header: http.Header{"Content-Type": {"application/json"}},
		client: &http.Client{Transport: tr}, mix: newMix(cfg)}
	r.acquireURL = r.base + "/v1/acquire"
	if token != "" {
		r.header.Set("Authorization", "Bearer "+token)
	}
	r.start = time.Now()
	r.measureStart = r.start.Add(cfg.Warmup)
	if cfg.Rate > 0 {
		r.interval = 1e9 / cfg.Rate
		r.firstSlot = int64(math.Ceil(float64(cfg.Warmup) / r.interval))
		r.measureStart = r.slot(r.firstSlot)
	}
	if cfg.Requests == 0 {
		r.end = r.measureStart.Add(cfg.Duration)
	}

	workers := make([]*worker, cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = newWorker(r, i)
		wg.Go(func() { workers[i].loop(ctx) })
	}
	wg.Wait()
	st := r.collect(workers, time.Since(r.measureStart))
	st.Interrupted = ctx.Err() != nil
	return st
}

// slot returns the scheduled time of open-loop acquire i.
func (r *run) slot(i int64) time.Time {
	return r.start.Add(time.Duration(float64(i) * r.interval))
}

// claim returns when to send the next acquire and whether it is counted,
// or ok false when the run is over.
func (r *run) claim() (at time.Time, counted, ok bool) {
	if r.interval > 0 {
		i := r.next.Add(1) - 1
		at = r.slot(i)
		counted = i >= r.firstSlot
		if r.cfg.Requests > 0 && i >= r.firstSlot+r.cfg.Requests || r.cfg.Requests == 0 && !at.Before(r.end) {
			return at, false, false
		}
		return at, counted, true
	}
	at = time.Now()
	if at.Before(r.measureStart) {
		return at, false, true
	}
	if r.cfg.Requests > 0 {
		return at, true, r.next.Add(1) <= r.cfg.Requests
	}
	return at, true, at.Before(r.end)
}

// collect merges the workers' counts and histograms.
func (r *run) collect(workers []*worker, elapsed time.Duration) Stats {
	st := Stats{Name: r.name, URL: r.base, Elapsed: max(elapsed, 0), ByStatus: map[string]int64{}}
	acq, rel := newHistogram(), newHistogram()
	var releases, relErrors int64
	for _, w := range workers {
		st.Requests += w.requests
		st.Granted += w.granted
		st.Denied += w.denied
		st.TransportErrors += w.transport
		for code, n := range w.byStatus {
			st.ByStatus[code] += n
			st.Errors += n
		}
		if st.FirstError == "" && w.firstErr != "" {
			st.FirstError = w.firstErr
		}
		acq.merge(w.acq)
		if w.rel != nil {
			rel.merge(w.rel)
			releases += w.releases
			relErrors += w.relErrors
		}
	}
	st.Errors += st.TransportErrors
	st.Latency = acq.summary()
	if r.cfg.Settle {
		st.Release = &Release{Requests: releases, Errors: relErrors, Latency: rel.summary()}
	}
	return st
}
