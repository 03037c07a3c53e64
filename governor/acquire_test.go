package governor_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/governor/governortest"
	"github.com/ratelord/ratelord/policy"
)

func one(pool string, cost int64) governor.Costs { return governor.Costs{{Pool: pool, Units: cost}} }

func mustAcquire(tb testing.TB, g *governor.Governor, r governor.Request) governor.Decision {
	tb.Helper()
	d, err := g.Acquire(context.Background(), r)
	if err != nil {
		tb.Fatalf("acquire %+v: %v", r, err)
	}
	return d
}

func TestSlidingDenialRetryAfterIsExact(t *testing.T) {
	t.Parallel()
	g, c := MustGovernor(t, "pools:\n  p: {limit: 3, window: 10s}\n", nil)
	for i := 0; i < 3; i++ {
		if d := mustAcquire(t, g, governor.Request{Pools: one("p", 1)}); !d.Granted {
			t.Fatalf("grant %d denied: %+v", i, d)
		}
		c.Advance(time.Second)
	}
	d := mustAcquire(t, g, governor.Request{Pools: one("p", 1)})
	if d.Granted || d.Reason != governor.ReasonQuota {
		t.Fatalf("4th acquire = %+v, want quota_exhausted", d)
	}
	// The first unit was granted at 0s and stops counting at 10s; now is 3s.
	if d.RetryAfter != 7*time.Second {
		t.Fatalf("retry after %v, want 7s", d.RetryAfter)
	}
	c.Advance(d.RetryAfter - time.Nanosecond)
	if d := mustAcquire(t, g, governor.Request{Pools: one("p", 1)}); d.Granted {
		t.Fatal("granted before the retry time")
	}
	c.Advance(time.Nanosecond)
	if d := mustAcquire(t, g, governor.Request{Pools: one("p", 1)}); !d.Granted {
		t.Fatalf("denied at the retry time: %+v", d)
	}
}

func TestMultiPoolDenialChargesNothing(t *testing.T) {
	t.Parallel()
	g, _ := MustGovernor(t, "pools:\n  a: {limit: 10, window: 1m}\n  b: {limit: 2, window: 1m}\n", nil)
	both := governor.Costs{{Pool: "a", Units: 1}, {Pool: "b", Units: 1}}
	for i := 0; i < 2; i++ {
		if d := mustAcquire(t, g, governor.Request{Pools: both}); !d.Granted {
			t.Fatalf("grant %d denied", i)
		}
	}
	d := mustAcquire(t, g, governor.Request{Pools: both})
	if d.Granted {
		t.Fatal("granted past b's limit")
	}
	st, _ := g.Pool("a", "")
	if st.Used != 2 {
		t.Fatalf("pool a used = %d after a denied multi-pool acquire, want 2", st.Used)
	}
}

func TestPerIdentityPartitions(t *testing.T) {
	t.Parallel()
	g, _ := MustGovernor(t, "pools:\n  p: {per: identity, limit: 1, window: 1h}\n", nil)
	for _, id := range []string{"a", "b"} {
		if d := mustAcquire(t, g, governor.Request{Pools: one("p", 1), Identity: id}); !d.Granted {
			t.Fatalf("identity %s denied its own first unit", id)
		}
	}
	if d := mustAcquire(t, g, governor.Request{Pools: one("p", 1), Identity: "a"}); d.Granted {
		t.Fatal("identity a granted twice")
	}
	st, _ := g.Pool("p", "b")
	if st.Identity != "b" || st.Used != 1 || st.Remaining != 0 {
		t.Fatalf("state of b = %+v", st)
	}
}

func TestReserveKeepsShareForHigherPriorities(t *testing.T) {
	t.Parallel()
	g, _ := MustGovernor(t, "pools:\n  p:\n    limit: 10\n    window: 1m\n    reserve: {low: 30%, normal: 10%}\n", nil)
	grant := func(pr policy.Priority) governor.Decision {
		return mustAcquire(t, g, governor.Request{Pools: one("p", 1), Priority: pr})
	}
	for i := 0; i < 7; i++ {
		if d := grant(policy.Low); !d.Granted {
			t.Fatalf("low grant %d denied", i)
		}
	}
	if d := grant(policy.Low); d.Granted || d.Reason != governor.ReasonReserved {
		t.Fatalf("8th low = %+v, want reserved_for_priority", d)
	}
	if d := grant(policy.Normal); !d.Granted {
		t.Fatal("normal denied at 7 of 10")
	}
	if d := grant(policy.Normal); !d.Granted {
		t.Fatal("normal denied at 8 of 10")
	}
	if d := grant(policy.Normal); d.Granted {
		t.Fatal("normal granted into the last 10%")
	}
	if d := grant(policy.Critical); !d.Granted {
		t.Fatal("critical denied at 9 of 10")
	}
	if d := grant(policy.Critical); d.Granted || d.Reason != governor.ReasonQuota {
		t.Fatalf("critical past the limit = %+v, want quota_exhausted", d)
	}
}

func TestConcurrencyCapFreesOnSettleReleaseAndExpiry(t *testing.T) {
	t.Parallel()
	g, c := MustGovernor(t, "pools:\n  p: {limit: 100, window: 1m, concurrency: 1}\n", nil)
	req := governor.Request{Pools: one("p", 1), LeaseTTL: time.Minute}
	cost := int64(1)
	frees := []func(id governor.LeaseID){
		func(id governor.LeaseID) { mustNil(t, g.Settle(id, &cost, nil)) },
		func(id governor.LeaseID) { mustNil(t, g.Release(id)) },
		func(id governor.LeaseID) { c.Advance(time.Minute); g.ExpireLeases(c.Now()) },
	}
	for i, free := range frees {
		d := mustAcquire(t, g, req)
		if !d.Granted {
			t.Fatalf("case %d: first lease denied", i)
		}
		if d2 := mustAcquire(t, g, req); d2.Granted || d2.Reason != governor.ReasonConcurrency {
			t.Fatalf("case %d: second lease = %+v, want concurrency_limit", i, d2)
		}
		free(d.LeaseID)
		if err := g.Release(d.LeaseID); governor.ErrorCode(err) != governor.ErrUnknownLease {
			t.Fatalf("case %d: closing a closed lease = %v, want unknown_lease", i, err)
		}
	}
}

func TestSettleRefundsAndChargesMore(t *testing.T) {
	t.Parallel()
	g, _ := MustGovernor(t, "pools:\n  tok: {unit: tokens, limit: 1000, window: 1m}\n", nil)
	d := mustAcquire(t, g, governor.Request{Pools: one("tok", 600)})
	zero := int64(0)
	mustNil(t, g.Settle(d.LeaseID, &zero, nil))
	if st, _ := g.Pool("tok", ""); st.Used != 0 {
		t.Fatalf("used after refund = %d", st.Used)
	}
	d = mustAcquire(t, g, governor.Request{Pools: one("tok", 100)})
	more := int64(1200)
	mustNil(t, g.Settle(d.LeaseID, &more, nil))
	st, _ := g.Pool("tok", "")
	if st.Used != 1200 || st.Remaining != 0 {
		t.Fatalf("after charging more: %+v", st)
	}
	if d := mustAcquire(t, g, governor.Request{Pools: one("tok", 1)}); d.Granted {
		t.Fatal("granted while the upstream spend exceeds the limit")
	}
}

func TestWaitersGetTheirOwnSlotsAtThePoolsRate(t *testing.T) {
	t.Parallel()
	g, c := MustGovernor(t, "pools:\n  p: {limit: 1, window: 1s, algorithm: bucket}\n", nil)
	release := make(chan struct{})
	g.Sleep = func(ctx context.Context, d time.Duration) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	const n = 5
	var wg sync.WaitGroup
	slots := make(chan time.Time, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := mustAcquire(t, g, governor.Request{Pools: one("p", 1), MaxWait: time.Minute})
			if !d.Granted {
				t.Errorf("waiter denied: %+v", d)
			}
			slots <- d.At
		}()
	}
	// Every waiter books before any is released: the bucket holds 1 now and
	// refills 1 per second, so the slots are 0s, 1s, ..., 4s.
	waitFor(t, func() bool { return g.OpenLeases() == n })
	close(release)
	wg.Wait()
	close(slots)
	seen := map[time.Duration]bool{}
	for s := range slots {
		seen[s.Sub(c.Now())] = true
	}
	for i := 0; i < n; i++ {
		if !seen[time.Duration(i)*time.Second] {
			t.Fatalf("no waiter got the slot at +%ds: %v", i, seen)
		}
	}
}

func TestWaiterThatLeavesGivesItsSlotBack(t *testing.T) {
	t.Parallel()
	g, _ := MustGovernor(t, "pools:\n  p: {limit: 1, window: 1m}\n", nil)
	mustAcquire(t, g, governor.Request{Pools: one("p", 1)})
	ctx, cancel := context.WithCancel(context.Background())
	g.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	_, err := g.Acquire(ctx, governor.Request{Pools: one("p", 1), MaxWait: 2 * time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire of a waiter that left = %v, want context.Canceled", err)
	}
	if g.OpenLeases() != 1 {
		t.Fatalf("open leases = %d, want only the first", g.OpenLeases())
	}
	// The booked slot (at +1m) is free again: a new waiter books the same one.
	d := mustAcquire(t, g, governor.Request{Pools: one("p", 1)})
	if d.Granted || d.RetryAfter != time.Minute {
		t.Fatalf("after the waiter left: %+v, want a retry in exactly 1m", d)
	}
}

func TestMaxWaitTooShortIsDenied(t *testing.T) {
	t.Parallel()
	g, _ := MustGovernor(t, "pools:\n  p: {limit: 1, window: 1m}\n", nil)
	mustAcquire(t, g, governor.Request{Pools: one("p", 1)})
	d := mustAcquire(t, g, governor.Request{Pools: one("p", 1), MaxWait: 59 * time.Second})
	if d.Granted || d.RetryAfter != time.Minute {
		t.Fatalf("= %+v, want denied with retry 1m", d)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	g, _ := MustGovernor(t, "pools:\n  p: {limit: 10, window: 1m, reserve: {low: 50%}}\n", nil)
	cases := []struct {
		r    governor.Request
		code string
	}{
		{governor.Request{Pools: one("nope", 1)}, governor.ErrUnknownPool},
		{governor.Request{Pools: one("p", -1)}, governor.ErrInvalid},
		{governor.Request{Pools: one("p", 11)}, governor.ErrInvalid},
		{governor.Request{Pools: one("p", 6), Priority: policy.Low}, governor.ErrInvalid},
		{governor.Request{}, governor.ErrInvalid},
		{governor.Request{Pools: governor.Costs{{Pool: "p", Units: 1}, {Pool: "p", Units: 1}}}, governor.ErrInvalid},
	}
	for _, tc := range cases {
		_, err := g.Acquire(context.Background(), tc.r)
		if governor.ErrorCode(err) != tc.code {
			t.Errorf("acquire %+v: err %v, want code %s", tc.r, err, tc.code)
		}
	}
}

func TestStoreFailureGrantsNothing(t *testing.T) {
	t.Parallel()
	store := &governortest.MemStore{}
	g, _ := MustGovernor(t, "pools:\n  p: {limit: 1, window: 1m}\n", store)
	store.FailNext(errors.New("disk full"))
	d := mustAcquire(t, g, governor.Request{Pools: one("p", 1)})
	if d.Granted || d.Reason != governor.ReasonStore {
		t.Fatalf("= %+v, want store_unavailable", d)
	}
	if d := mustAcquire(t, g, governor.Request{Pools: one("p", 1)}); !d.Granted {
		t.Fatal("the unacknowledged grant still counts")
	}
}

func mustNil(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// waitFor polls cond; it is for goroutines to reach a blocking point, not for time to pass.
func waitFor(tb testing.TB, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrencyWaiterGetsTheFreedSlot(t *testing.T) {
	t.Parallel()
	store := &governortest.MemStore{}
	g, _ := MustGovernor(t, "pools:\n  p: {limit: 100, window: 1m, concurrency: 1}\n", store)
	first := mustAcquire(t, g, governor.Request{Pools: one("p", 1)})
	blocked := make(chan struct{}, 1)
	g.Sleep = func(ctx context.Context, d time.Duration) error {
		blocked <- struct{}{}
		<-ctx.Done() // woken only by a freed slot: no time passes
		return ctx.Err()
	}
	got := make(chan governor.Decision, 1)
	go func() { got <- mustAcquire(t, g, governor.Request{Pools: one("p", 1), MaxWait: time.Hour}) }()
	<-blocked
	mustNil(t, g.Release(first.LeaseID))
	d := <-got
	if !d.Granted {
		t.Fatalf("waiter after release: %+v", d)
	}
	evs, _ := store.Events(context.Background(), governor.EventQuery{Type: governor.EventDeny})
	if len(evs) != 0 {
		t.Fatalf("a waiter that was granted left %d deny events", len(evs))
	}
}

func TestConcurrencyWaitRunsOut(t *testing.T) {
	t.Parallel()
	g, _ := MustGovernor(t, "pools:\n  p: {limit: 100, window: 1m, concurrency: 1}\n", nil)
	mustAcquire(t, g, governor.Request{Pools: one("p", 1), LeaseTTL: 30 * time.Second})
	d := mustAcquire(t, g, governor.Request{Pools: one("p", 1), MaxWait: 5 * time.Second})
	if d.Granted || d.Reason != governor.ReasonConcurrency {
		t.Fatalf("= %+v, want concurrency_limit once the wait ran out", d)
	}
	if d.RetryAfter != 25*time.Second {
		t.Fatalf("retry after %v, want 25s (the open lease's expiry)", d.RetryAfter)
	}
}

// TestDecisionsNeverGoBackInTime: a request whose clock reading is older
// than a decision already applied (it waited for the lock, or the wall clock
// stepped back) is decided at the later time, because the state has already
// been pruned up to it.
func TestDecisionsNeverGoBackInTime(t *testing.T) {
	t.Parallel()
	g, c := MustGovernor(t, "pools:\n  p: {limit: 1, window: 10s}\n", nil)
	mustAcquire(t, g, governor.Request{Pools: one("p", 1)})
	c.Advance(10500 * time.Millisecond)
	g.Pools() // prunes the first unit, which stopped counting at 10s
	c.Advance(-600 * time.Millisecond)
	d := mustAcquire(t, g, governor.Request{Pools: one("p", 1)})
	if !d.Granted || !d.At.Equal(start.Add(10500*time.Millisecond)) {
		t.Fatalf("= %+v, want granted at 10.5s, not at 9.9s when the first unit still counted", d)
	}
}
