package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/sqlite"
)

// BenchmarkRestart measures how long a daemon takes to be ready on a
// database whose log holds n events: with a snapshot every snapshotEvents
// events as the daemon takes them, and with none at all (the worst case).
func BenchmarkRestart(b *testing.B) {
	for _, tc := range []struct{ n, snapEvery int }{{1_000_000, snapshotEvents}, {100_000, 0}, {1_000_000, 0}} {
		b.Run(fmt.Sprintf("events=%d/snapshot-every=%d", tc.n, tc.snapEvery), func(b *testing.B) {
			n := tc.n
			path := filepath.Join(b.TempDir(), "r.db")
			pol := mustPolicy(b, "pools:\n  p: {limit: 100000000, window: 1h}\n  t: {per: identity, limit: 1000, window: 1h}\n")
			fillLog(b, path, pol, n, tc.snapEvery)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				db := &sqlite.DB{Path: path, Sync: "normal"}
				if err := db.Open(); err != nil {
					b.Fatal(err)
				}
				g := &governor.Governor{Store: db, Policy: pol}
				if err := g.Open(context.Background()); err != nil {
					b.Fatal(err)
				}
				if g.Seq() < int64(n) {
					b.Fatalf("restored seq %d of %d", g.Seq(), n)
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
		})
	}
}

// fillLog writes n events (grants, half with identities, each released)
// through a governor, with a snapshot every snapEvery events (0: none).
func fillLog(tb testing.TB, path string, pol *policy.Policy, n, snapEvery int) {
	tb.Helper()
	db := &sqlite.DB{Path: path, Sync: "normal"}
	if err := db.Open(); err != nil {
		tb.Fatal(err)
	}
	g := &governor.Governor{Store: db, Policy: pol}
	if err := g.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	for i := 0; g.Seq() < int64(n); i++ {
		r := governor.Request{Pools: governor.Costs{{Pool: "p", Units: 1}}, LeaseTTL: time.Hour}
		if i%2 == 1 {
			r = governor.Request{Pools: governor.Costs{{Pool: "t", Units: 1}}, Identity: "id-" + strconv.Itoa(i%5000), LeaseTTL: time.Hour}
		}
		d, err := g.Acquire(context.Background(), r)
		if err != nil || !d.Granted {
			tb.Fatalf("fill: %+v %v", d, err)
		}
		g.Release(d.LeaseID)
		if snapEvery > 0 && g.Seq()%int64(snapEvery) < 2 {
			if _, err := g.Snapshot(); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkIdentityMemory reports the heap each idle identity costs: a
// per-identity pool where a million identities each spent once and closed
// their lease.
func BenchmarkIdentityMemory(b *testing.B) {
	const n = 1_000_000
	for i := 0; i < b.N; i++ {
		g := &governor.Governor{Store: nopStore{}, Policy: mustPolicy(b, "pools:\n  t: {per: identity, limit: 100, window: 1h}\n")}
		if err := g.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
		ids := make([]string, n)
		for j := range ids {
			ids[j] = "agent-" + strconv.Itoa(j)
		}
		before := heap()
		for _, id := range ids {
			d, _ := g.Acquire(context.Background(), governor.Request{Pools: governor.Costs{{Pool: "t", Units: 1}}, Identity: id})
			g.Release(d.LeaseID)
		}
		after := heap()
		b.ReportMetric(float64(after-before)/n, "B/identity")
		runtime.KeepAlive(g)
		runtime.KeepAlive(ids)
	}
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mustPolicy(tb testing.TB, yaml string) *policy.Policy {
	tb.Helper()
	p, err := policy.Parse("bench.yaml", []byte(yaml))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// nopStore keeps nothing: benchmarks of the governor's memory use it.
type nopStore struct{}

func (nopStore) Append(governor.Event)                                           {}
func (nopStore) Durable(context.Context, int64) error                            { return nil }
func (nopStore) SaveSnapshot(int64, []byte)                                      {}
func (nopStore) LoadSnapshot(context.Context) (int64, []byte, error)             { return 0, nil, nil }
func (nopStore) Replay(context.Context, int64, func(governor.Event) error) error { return nil }
func (nopStore) Events(context.Context, governor.EventQuery) ([]governor.Event, error) {
	return nil, nil
}
func (nopStore) LastSeq(context.Context) (int64, error)          { return 0, nil }
func (nopStore) Prune(context.Context, time.Time) (int64, error) { return 0, nil }
func (nopStore) Ping(context.Context) error                      { return nil }
