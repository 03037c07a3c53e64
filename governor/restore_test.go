package governor_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/governor/governortest"
	"github.com/ratelord/ratelord/policy"
)

const restorePolicy = `
pools:
  s: {limit: 5, window: 10s}
  f: {limit: 4, window: 10s, algorithm: fixed, burst: 2}
  b: {limit: 3, window: 3s, algorithm: bucket}
  i: {per: identity, limit: 2, window: 1m, concurrency: 3}
`

// TestRestartRestoresExactState drives a governor, restarts it from its
// store (snapshot plus the events after it) and compares the two.
func TestRestartRestoresExactState(t *testing.T) {
	t.Parallel()
	for _, snapAt := range []int{-1, 0, 7, 20} {
		store := &governortest.MemStore{}
		g, c := MustGovernor(t, restorePolicy, store)
		var leases []governor.LeaseID
		for step := 0; step < 30; step++ {
			if step == snapAt {
				if _, err := g.Snapshot(); err != nil {
					t.Fatal(err)
				}
			}
			pool := []string{"s", "f", "b", "i"}[step%4]
			d := mustAcquire(t, g, governor.Request{Pools: one(pool, 1), Identity: []string{"x", "y"}[step%2], MaxWait: 5 * time.Second})
			if d.Granted {
				leases = append(leases, d.LeaseID)
			}
			switch {
			case step%5 == 1 && len(leases) > 0:
				zero := int64(0)
				mustNil(t, g.Settle(leases[0], &zero, nil))
				leases = leases[1:]
			case step%7 == 2 && len(leases) > 0:
				mustNil(t, g.Release(leases[0]))
				leases = leases[1:]
			}
			c.Advance(700 * time.Millisecond)
		}
		restarted := &governor.Governor{Store: store, Policy: g.CurrentPolicy(), Now: c.Now}
		if err := restarted.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The burn rate is a smoothed statistic rebuilt from grant times (a
		// waiter's slot, not its decision time): compare everything else.
		if a, b := withoutBurn(g.Pools()), withoutBurn(restarted.Pools()); !reflect.DeepEqual(a, b) {
			t.Fatalf("snapshot at %d: pools differ after restart:\n%+v\n%+v", snapAt, a, b)
		}
		for _, id := range []string{"x", "y"} {
			a, _ := g.Pool("i", id)
			b, _ := restarted.Pool("i", id)
			if !reflect.DeepEqual(withoutBurn([]governor.PoolState{a}), withoutBurn([]governor.PoolState{b})) {
				t.Fatalf("identity %s differs: %+v vs %+v", id, a, b)
			}
		}
		if g.OpenLeases() != restarted.OpenLeases() || g.Seq() != restarted.Seq() {
			t.Fatalf("leases %d/%d seq %d/%d", g.OpenLeases(), restarted.OpenLeases(), g.Seq(), restarted.Seq())
		}
		// Both make the same next decisions.
		for _, pool := range []string{"s", "f", "b"} {
			d1 := mustAcquire(t, g, governor.Request{Pools: one(pool, 1)})
			d2 := mustAcquire(t, restarted, governor.Request{Pools: one(pool, 1)})
			if d1.Granted != d2.Granted || d1.RetryAfter != d2.RetryAfter {
				t.Fatalf("pool %s decides differently after restart: %+v vs %+v", pool, d1, d2)
			}
		}
	}
}

func TestReloadKeepsStateByName(t *testing.T) {
	t.Parallel()
	g, _ := MustGovernor(t, "pools:\n  p: {limit: 3, window: 1m}\n  q: {limit: 3, window: 1m}\n", nil)
	for i := 0; i < 3; i++ {
		mustAcquire(t, g, governor.Request{Pools: one("p", 1)})
	}
	p2, err := policy.Parse("new.yaml", []byte("pools:\n  p: {limit: 4, window: 1m}\n  r: {limit: 1, window: 1m}\n"))
	mustNil(t, err)
	g.Reload(p2)
	st, err := g.Pool("p", "")
	mustNil(t, err)
	if st.Used != 3 || st.Limit != 4 {
		t.Fatalf("p after reload = %+v, want used 3 of 4", st)
	}
	if d := mustAcquire(t, g, governor.Request{Pools: one("p", 1)}); !d.Granted {
		t.Fatal("the raised limit does not apply to the next request")
	}
	if _, err := g.Pool("q", ""); governor.ErrorCode(err) != governor.ErrUnknownPool {
		t.Fatalf("removed pool q: %v", err)
	}
}

func withoutBurn(ps []governor.PoolState) []governor.PoolState {
	for i := range ps {
		ps[i].BurnRate, ps[i].ExhaustsAt = 0, nil
	}
	return ps
}
