package governor_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/governor/governortest"
	"github.com/ratelord/ratelord/policy"
)

// nopStore is a Store that keeps nothing, so that benchmarks measure the
// governor alone.
type nopStore struct{ governortest.MemStore }

func (*nopStore) Append(governor.Event)                {}
func (*nopStore) Durable(context.Context, int64) error { return nil }

const benchPolicy = `
pools:
  hot: {limit: 1000000000, window: 1s}
  fixed: {limit: 1000000000, window: 1s, algorithm: fixed}
  bucket: {limit: 1000000000, window: 1s, algorithm: bucket}
  tenants: {per: identity, limit: 1000000000, window: 1s}
`

func benchGovernor(b *testing.B) *governor.Governor {
	p, err := policy.Parse("bench.yaml", []byte(benchPolicy))
	if err != nil {
		b.Fatal(err)
	}
	g := &governor.Governor{Store: &nopStore{}, Policy: p, Logger: slog.New(slog.DiscardHandler)}
	if err := g.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	return g
}

// BenchmarkAcquire measures a granted acquire followed by the release of
// its lease, on a hot key: the governor's own cost per decision.
func BenchmarkAcquire(b *testing.B) {
	cases := []struct {
		name  string
		pools governor.Costs
		ids   int
	}{
		{"sliding", governor.Costs{{Pool: "hot", Units: 1}}, 0},
		{"fixed", governor.Costs{{Pool: "fixed", Units: 1}}, 0},
		{"bucket", governor.Costs{{Pool: "bucket", Units: 1}}, 0},
		{"three-pools", governor.Costs{{Pool: "hot", Units: 1}, {Pool: "fixed", Units: 2}, {Pool: "bucket", Units: 3}}, 0},
		{"identities-10k", governor.Costs{{Pool: "tenants", Units: 1}}, 10000},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			g := benchGovernor(b)
			ctx := context.Background()
			ids := make([]string, max(tc.ids, 1))
			for i := range ids {
				ids[i] = "id-" + strconv.Itoa(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d, err := g.Acquire(ctx, governor.Request{Pools: tc.pools, Identity: ids[i%len(ids)]})
				if err != nil || !d.Granted {
					b.Fatalf("%+v %v", d, err)
				}
				g.Release(d.LeaseID)
			}
		})
	}
}

// BenchmarkDeny measures a denied acquire on an exhausted pool.
func BenchmarkDeny(b *testing.B) {
	p, _ := policy.Parse("bench.yaml", []byte("pools:\n  p: {limit: 1, window: 1h}\n"))
	g := &governor.Governor{Store: &nopStore{}, Policy: p, Logger: slog.New(slog.DiscardHandler)}
	if err := g.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	r := governor.Request{Pools: governor.Costs{{Pool: "p", Units: 1}}}
	g.Acquire(context.Background(), r)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if d, _ := g.Acquire(context.Background(), r); d.Granted {
			b.Fatal("granted")
		}
	}
}

// BenchmarkAcquireOnly measures the acquire alone on a hot sliding pool;
// the leases it opens are released in batches outside the timer.
func BenchmarkAcquireOnly(b *testing.B) {
	g := benchGovernor(b)
	ctx := context.Background()
	r := governor.Request{Pools: governor.Costs{{Pool: "hot", Units: 1}}}
	ids := make([]governor.LeaseID, 0, 4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d, err := g.Acquire(ctx, r)
		if err != nil || !d.Granted {
			b.Fatalf("%+v %v", d, err)
		}
		if ids = append(ids, d.LeaseID); len(ids) == cap(ids) {
			b.StopTimer()
			for _, id := range ids {
				g.Release(id)
			}
			ids = ids[:0]
			b.StartTimer()
		}
	}
}
