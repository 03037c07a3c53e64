package governor_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/governor/governortest"
)

func observe(tb testing.TB, g *governor.Governor, o governor.Observation) {
	tb.Helper()
	if o.Limit == 0 {
		o.Limit = -1
	}
	if err := g.Observe(o); err != nil {
		tb.Fatal(err)
	}
}

func TestObserveNeverBelievesMoreThanUpstream(t *testing.T) {
	t.Parallel()
	g, _ := MustGovernor(t, "pools:\n  gh: {limit: 10, window: 1h, algorithm: fixed}\n", nil)
	mustAcquire(t, g, governor.Request{Pools: one("gh", 2)})
	reset := start.Add(30 * time.Minute)
	// Another program spent 5 more: the upstream says 3 remain, resetting in 30m.
	observe(t, g, governor.Observation{Pool: "gh", Remaining: 3, ResetAt: reset, Status: 200, Source: "test"})
	st, _ := g.Pool("gh", "")
	if st.Remaining != 3 || !st.ResetAt.Equal(reset) {
		t.Fatalf("after observing 3 remaining: %+v", st)
	}
	if st.Observed == nil || st.Observed.Remaining != 3 || st.Observed.Source != "test" {
		t.Fatalf("latest observation not shown: %+v", st.Observed)
	}
	// More remaining than believed changes nothing.
	observe(t, g, governor.Observation{Pool: "gh", Remaining: 9, Source: "test"})
	for i := 0; i < 3; i++ {
		if d := mustAcquire(t, g, governor.Request{Pools: one("gh", 1)}); !d.Granted {
			t.Fatalf("grant %d of the 3 the upstream allows denied", i)
		}
	}
	d := mustAcquire(t, g, governor.Request{Pools: one("gh", 1)})
	if d.Granted || d.RetryAfter != 30*time.Minute {
		t.Fatalf("= %+v, want a denial until the upstream's reset in 30m", d)
	}
}

func TestUpstreamRefusalHoldsThePool(t *testing.T) {
	t.Parallel()
	g, c := MustGovernor(t, "pools:\n  ai: {limit: 1000, window: 1m, algorithm: bucket}\n", nil)
	observe(t, g, governor.Observation{Pool: "ai", Remaining: -1, Limited: true, RetryAfter: 20 * time.Second, Status: 429, Source: "proxy"})
	d := mustAcquire(t, g, governor.Request{Pools: one("ai", 1)})
	if d.Granted || d.Reason != governor.ReasonUpstream {
		t.Fatalf("= %+v, want upstream_limited", d)
	}
	// The retry time is the hold plus a positive jitter of at most a second.
	if d.RetryAfter < 20*time.Second || d.RetryAfter >= 21*time.Second {
		t.Fatalf("retry after %v, want in [20s, 21s)", d.RetryAfter)
	}
	st, _ := g.Pool("ai", "")
	if st.HeldUntil == nil || !st.HeldUntil.Equal(start.Add(20*time.Second)) {
		t.Fatalf("held_until = %v", st.HeldUntil)
	}
	// Waiters are spread over the jitter window instead of all at the end of the hold.
	slots := map[time.Time]bool{}
	g.Sleep = func(ctx context.Context, d time.Duration) error { return nil }
	for i := 0; i < 20; i++ {
		d := mustAcquire(t, g, governor.Request{Pools: one("ai", 1), MaxWait: time.Minute})
		if !d.Granted || d.At.Before(start.Add(20*time.Second)) {
			t.Fatalf("waiter %d: %+v", i, d)
		}
		slots[d.At] = true
	}
	if len(slots) < 10 {
		t.Fatalf("20 waiters released at only %d distinct moments", len(slots))
	}
	c.Advance(21 * time.Second)
	if d := mustAcquire(t, g, governor.Request{Pools: one("ai", 1)}); !d.Granted {
		t.Fatalf("after the hold: %+v", d)
	}
}

func TestObservationsAndHoldsSurviveRestart(t *testing.T) {
	t.Parallel()
	store := &governortest.MemStore{}
	g, c := MustGovernor(t, "pools:\n  gh: {limit: 100, window: 1h, algorithm: fixed}\n", store)
	observe(t, g, governor.Observation{Pool: "gh", Remaining: 40, ResetAt: start.Add(10 * time.Minute), Source: "poll"})
	observe(t, g, governor.Observation{Pool: "gh", Remaining: -1, Limited: true, RetryAfter: time.Minute, Status: 429, Source: "proxy"})
	restarted := &governor.Governor{Store: store, Policy: g.CurrentPolicy(), Now: c.Now}
	if err := restarted.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, _ := restarted.Pool("gh", "")
	if st.Remaining != 40 || !st.ResetAt.Equal(start.Add(10*time.Minute)) || st.HeldUntil == nil {
		t.Fatalf("after restart: %+v", st)
	}
}

func TestBurnRateAndForecast(t *testing.T) {
	t.Parallel()
	g, c := MustGovernor(t, "pools:\n  f: {limit: 100, window: 1h, algorithm: fixed}\n  s: {limit: 100, window: 1m}\n", nil)
	mustAcquire(t, g, governor.Request{Pools: one("f", 60)})
	mustAcquire(t, g, governor.Request{Pools: one("s", 60)})
	// 60 units at once with a one-minute time constant: 60/60 = 1 unit/s.
	st, _ := g.Pool("f", "")
	if st.BurnRate != 1 {
		t.Fatalf("burn rate %v, want 1", st.BurnRate)
	}
	// 40 remaining at 1/s: dry in 40s, before the hour's reset.
	if st.ExhaustsAt == nil || !st.ExhaustsAt.Equal(start.Add(40*time.Second)) {
		t.Fatalf("exhausts_at %v, want +40s", st.ExhaustsAt)
	}
	// The sliding pool refills 100/60 = 1.67 units/s, faster than it burns.
	if s, _ := g.Pool("s", ""); s.ExhaustsAt != nil {
		t.Fatalf("sliding pool forecast %v, want none", s.ExhaustsAt)
	}
	c.Advance(time.Minute)
	st, _ = g.Pool("f", "")
	if st.BurnRate != 0.368 { // e^-1, rounded to 3 places
		t.Fatalf("burn rate a minute later %v, want 0.368", st.BurnRate)
	}
}

func TestExhaustionAndForecastAreLoggedOncePerEpisode(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	g, c := MustGovernor(t, "pools:\n  p: {limit: 10, window: 1m, algorithm: fixed}\n", nil)
	g.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	mustAcquire(t, g, governor.Request{Pools: one("p", 10)})
	g.Maintain(c.Now())
	g.Maintain(c.Now())
	for i := 0; i < 5; i++ {
		mustAcquire(t, g, governor.Request{Pools: one("p", 1)})
	}
	if n := strings.Count(buf.String(), "pool ran dry"); n != 1 {
		t.Fatalf("%d 'pool ran dry' lines for one episode:\n%s", n, &buf)
	}
	if !strings.Contains(buf.String(), "level=ERROR msg=\"pool ran dry\" pool=p limit=10 window=1m refills_at=2026-01-01T00:01:00.000Z") {
		t.Fatalf("the line does not say pool, limit and when it refills:\n%s", &buf)
	}
	if n := strings.Count(buf.String(), "pool forecast to run dry"); n != 1 {
		t.Fatalf("%d forecast warnings for one episode:\n%s", n, &buf)
	}
	c.Advance(2 * time.Minute)
	mustAcquire(t, g, governor.Request{Pools: one("p", 10)})
	mustAcquire(t, g, governor.Request{Pools: one("p", 1)})
	if n := strings.Count(buf.String(), "pool ran dry"); n != 2 {
		t.Fatalf("a new episode after a quiet window logged %d lines in all, want 2", n)
	}
}
