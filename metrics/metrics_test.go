package metrics_test

import (
	"context"
	"errors"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/metrics"
)

// workloadPolicy has a pool for each kind of decision the workload makes.
const workloadPolicy = `pools:
  q: {limit: 2, window: 10s}
  c: {limit: 100, window: 1m, concurrency: 1}
  w: {limit: 1, window: 10s}
  u: {limit: 5, window: 1m}
`

func acquire(tb testing.TB, g *governor.Governor, pool, identity string, maxWait time.Duration) governor.Decision {
	tb.Helper()
	d, err := g.Acquire(context.Background(), governor.Request{Pools: governor.Costs{{Pool: pool, Units: 1}}, Identity: identity, MaxWait: maxWait})
	if err != nil {
		tb.Fatalf("acquire %s: %v", pool, err)
	}
	return d
}

// TestWorkload runs grants, denials of each kind, a waited grant and
// upstream observations, then checks the values of a scrape.
func TestWorkload(t *testing.T) {
	t.Parallel()
	g, _, _, reg := MustGovernor(t, workloadPolicy)

	// A waited grant first: it moves the clock 10s on.
	acquire(t, g, "w", "crawler-1", 0)
	if d := acquire(t, g, "w", "crawler-1", 20*time.Second); !d.Granted || d.Waited != 10*time.Second {
		t.Fatalf("waited acquire = %+v, want granted after 10s", d)
	}
	for i, want := range []bool{true, true, false} {
		if d := acquire(t, g, "q", "crawler-2", 0); d.Granted != want || (!want && d.Reason != governor.ReasonQuota) {
			t.Fatalf("q acquire %d = %+v", i, d)
		}
	}
	for i, want := range []bool{true, false} {
		if d := acquire(t, g, "c", "crawler-3", 0); d.Granted != want || (!want && d.Reason != governor.ReasonConcurrency) {
			t.Fatalf("c acquire %d = %+v", i, d)
		}
	}
	for _, o := range []governor.Observation{
		{Pool: "u", Limit: -1, Remaining: 3, Status: 200, Source: "observe"},
		{Pool: "u", Limit: -1, Remaining: -1, Status: 0, Source: "observe"},
		{Pool: "u", Limit: -1, Remaining: -1, Status: 429, Limited: true, RetryAfter: 30 * time.Second, Source: "proxy"},
		{Pool: "u", Limit: -1, Remaining: -1, Status: 99999, Source: "observe"},
	} {
		if err := g.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	if d := acquire(t, g, "u", "crawler-4", 0); d.Granted || d.Reason != governor.ReasonUpstream {
		t.Fatalf("u acquire while held = %+v, want upstream_limited", d)
	}

	f := Scrape(t, reg)
	decisions := []struct {
		pool, result, reason string
		want                 float64
	}{
		{"w", "granted", "", 2},
		{"q", "granted", "", 2},
		{"q", "denied", "quota_exhausted", 1},
		{"c", "granted", "", 1},
		{"c", "denied", "concurrency_limit", 1},
		{"u", "denied", "upstream_limited", 1},
	}
	for _, d := range decisions {
		if got := f.Value("ratelord_decisions_total", "pool", d.pool, "result", d.result, "reason", d.reason); got != d.want {
			t.Errorf("decisions_total{pool=%q,result=%q,reason=%q} = %v, want %v", d.pool, d.result, d.reason, got, d.want)
		}
	}
	if n := len(f.Series("ratelord_decisions_total")); n != len(decisions) {
		t.Errorf("decisions_total has %d series, want %d", n, len(decisions))
	}

	// Eight acquires got a decision; only the waited one took time (10s on
	// the fake clock) and only it waited.
	acq := f.One("ratelord_acquire_duration_seconds").GetHistogram()
	if acq.GetSampleCount() != 8 || acq.GetSampleSum() != 10 {
		t.Errorf("acquire_duration_seconds count %d sum %v, want 8 and 10", acq.GetSampleCount(), acq.GetSampleSum())
	}
	wait := f.One("ratelord_wait_duration_seconds").GetHistogram()
	if wait.GetSampleCount() != 1 || wait.GetSampleSum() != 10 {
		t.Errorf("wait_duration_seconds count %d sum %v, want 1 and 10", wait.GetSampleCount(), wait.GetSampleSum())
	}

	for _, c := range []struct {
		pool, source, code string
		want               float64
	}{{"u", "observe", "200", 1}, {"u", "proxy", "429", 1}, {"u", "observe", "other", 1}} {
		if got := f.Value("ratelord_upstream_responses_total", "pool", c.pool, "source", c.source, "code", c.code); got != c.want {
			t.Errorf("upstream_responses_total{%s,%s,%s} = %v, want %v", c.pool, c.source, c.code, got, c.want)
		}
	}
	if n := len(f.Series("ratelord_upstream_responses_total")); n != 3 {
		t.Errorf("upstream_responses_total has %d series, want 3 (status 0 is not an answer)", n)
	}
	if got := f.Value("ratelord_upstream_holds_total", "pool", "u"); got != 1 {
		t.Errorf("upstream_holds_total{u} = %v, want 1", got)
	}

	// The pool gauges are the governor's own numbers (the clock is frozen).
	now := g.Now()
	for _, s := range g.Pools() {
		checks := map[string]float64{
			"ratelord_pool_limit":         float64(s.Limit),
			"ratelord_pool_used":          float64(s.Used),
			"ratelord_pool_remaining":     float64(s.Remaining),
			"ratelord_pool_leases_open":   float64(s.LeasesOpen),
			"ratelord_pool_reset_seconds": math.Max(s.ResetAt.Sub(now).Seconds(), 0),
			"ratelord_pool_burn_rate":     s.BurnRate,
			"ratelord_pool_held":          map[bool]float64{true: 1, false: 0}[s.HeldUntil != nil],
		}
		if s.ExhaustsAt != nil {
			checks["ratelord_pool_exhaustion_seconds"] = math.Max(s.ExhaustsAt.Sub(now).Seconds(), 0)
		} else if n := len(f.Series("ratelord_pool_exhaustion_seconds", "pool", s.Pool)); n != 0 {
			t.Errorf("pool %s: exhaustion_seconds present without a forecast", s.Pool)
		}
		for name, want := range checks {
			if got := f.Value(name, "pool", s.Pool); got != want {
				t.Errorf("%s{pool=%q} = %v, want %v", name, s.Pool, got, want)
			}
		}
	}
	// And they are what the workload did.
	for _, c := range []struct {
		name, pool string
		want       float64
	}{
		{"ratelord_pool_used", "q", 2}, {"ratelord_pool_remaining", "q", 0}, {"ratelord_pool_limit", "q", 2},
		{"ratelord_pool_leases_open", "c", 1}, {"ratelord_pool_used", "u", 2}, {"ratelord_pool_held", "u", 1},
		{"ratelord_pool_held", "q", 0}, {"ratelord_pool_used", "w", 1},
	} {
		if got := f.Value(c.name, "pool", c.pool); got != c.want {
			t.Errorf("%s{pool=%q} = %v, want %v", c.name, c.pool, got, c.want)
		}
	}
	if got := f.Value("ratelord_build_info", "version", "test", "goversion", runtime.Version()); got != 1 {
		t.Errorf("build_info = %v, want 1", got)
	}
	if len(f.Series("go_goroutines")) != 1 {
		t.Error("no go_goroutines: the Go collector is not registered")
	}
}

// TestReloadsAndCommits checks the reload and store metrics.
func TestReloadsAndCommits(t *testing.T) {
	t.Parallel()
	before := float64(time.Now().Unix())
	_, _, m, reg := MustGovernor(t, workloadPolicy)
	f := Scrape(t, reg)
	if ok, fail, last := f.Value("ratelord_reloads_total", "result", "success"), f.Value("ratelord_reloads_total", "result", "failure"), f.Value("ratelord_last_reload_successful"); ok != 0 || fail != 0 || last != 1 {
		t.Fatalf("at start: reloads success %v failure %v, last successful %v; want 0, 0, 1", ok, fail, last)
	}
	m.Reloaded(false)
	f = Scrape(t, reg)
	if fail, last := f.Value("ratelord_reloads_total", "result", "failure"), f.Value("ratelord_last_reload_successful"); fail != 1 || last != 0 {
		t.Fatalf("after a refused reload: failure %v, last successful %v; want 1, 0", fail, last)
	}
	m.Reloaded(true)
	m.Reloaded(true)
	f = Scrape(t, reg)
	if ok, fail, last := f.Value("ratelord_reloads_total", "result", "success"), f.Value("ratelord_reloads_total", "result", "failure"), f.Value("ratelord_last_reload_successful"); ok != 2 || fail != 1 || last != 1 {
		t.Fatalf("after two good reloads: success %v failure %v, last successful %v; want 2, 1, 1", ok, fail, last)
	}
	if at := f.Value("ratelord_last_reload_timestamp_seconds"); at < before || at > float64(time.Now().Unix()+1) {
		t.Errorf("last_reload_timestamp_seconds = %v, want about now (%v)", at, before)
	}

	m.ObserveCommit(3, 2*time.Millisecond, nil)
	m.ObserveCommit(5, time.Millisecond, nil)
	m.ObserveCommit(4, 300*time.Millisecond, errors.New("disk on fire"))
	f = Scrape(t, reg)
	if ev, errs := f.Value("ratelord_store_commit_events_total"), f.Value("ratelord_store_commit_errors_total"); ev != 8 || errs != 1 {
		t.Errorf("commit events %v errors %v, want 8 and 1", ev, errs)
	}
	h := f.One("ratelord_store_commit_duration_seconds").GetHistogram()
	if h.GetSampleCount() != 3 || math.Abs(h.GetSampleSum()-0.303) > 1e-9 {
		t.Errorf("commit_duration_seconds count %d sum %v, want 3 and 0.303", h.GetSampleCount(), h.GetSampleSum())
	}
}

// TestTwoDaemonsOneProcess checks that nothing is registered globally.
func TestTwoDaemonsOneProcess(t *testing.T) {
	t.Parallel()
	g, _, _, _ := MustGovernor(t, workloadPolicy)
	metrics.New(prometheus.NewRegistry(), g, "a")
	metrics.New(prometheus.NewRegistry(), g, "b")
}

// TestDecidedDoesNotAllocate checks the hot path: the Decided hook runs
// under the governor's lock for every pool of every decision. (Not
// parallel: AllocsPerRun counts the whole process's allocations.)
func TestDecidedDoesNotAllocate(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry(), &governor.Governor{}, "test")
	decided := m.Hooks().Decided
	decided("p", true, "")
	decided("p", false, governor.ReasonQuota)
	if n := testing.AllocsPerRun(100, func() {
		decided("p", true, "")
		decided("p", false, governor.ReasonQuota)
	}); n != 0 {
		t.Fatalf("Decided allocates %v times per call pair, want 0", n)
	}
}
