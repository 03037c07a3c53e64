package quota_test

import (
	"testing"

	"github.com/ratelord/ratelord/quota"
)

// benchHot grants cost-1 requests on one key at an advancing now, the way a
// busy pool sees them: Earliest at now, then Charge where it fits.
func benchHot(b *testing.B, l quota.Limit, step int64) {
	var s quota.State
	now := int64(1_700_000_000_000_000_000)
	granted := 0
	b.ReportAllocs()
	for b.Loop() {
		now += step
		if at, ok := l.Earliest(&s, now, now, 1, quota.FullShare); ok && at == now {
			l.Charge(&s, at, 1)
			granted++
		}
	}
	if granted == 0 {
		b.Fatal("nothing granted")
	}
}

// A million units a second at one request a microsecond: about half the
// requests fit, and a second of charges (500,000 entries) stays live.
func BenchmarkSlidingHot(b *testing.B) {
	benchHot(b, quota.Limit{Limit: 500_000, Window: 1e9}, 1e3)
}

func BenchmarkFixedHot(b *testing.B) {
	benchHot(b, quota.Limit{Algorithm: quota.Fixed, Limit: 500_000, Window: 1e9}, 1e3)
}

func BenchmarkBucketHot(b *testing.B) {
	benchHot(b, quota.Limit{Algorithm: quota.Bucket, Limit: 500_000, Window: 1e9}, 1e3)
}

func BenchmarkSlidingBurst(b *testing.B) {
	benchHot(b, quota.Limit{Limit: 500_000, Window: 1e9, Burst: 1000}, 1e3)
}

// TestHotPathsDoNotAllocate checks the benchmarks' claim without timing.
// It is not parallel: AllocsPerRun counts the whole process's allocations.
func TestHotPathsDoNotAllocate(t *testing.T) {
	for _, l := range []quota.Limit{
		{Limit: 1000, Window: 1e6},
		{Limit: 1000, Window: 1e6, Burst: 10},
		{Algorithm: quota.Fixed, Limit: 1000, Window: 1e6, Burst: 10},
		{Algorithm: quota.Bucket, Limit: 1000, Window: 1e6},
	} {
		var s quota.State
		now := int64(0)
		step := func() {
			now += 500
			if at, ok := l.Earliest(&s, now, now, 1, quota.FullShare); ok && at == now {
				l.Charge(&s, at, 1)
			}
		}
		for range 10_000 { // reach the steady state: a full window of charges
			step()
		}
		// One run of 10,000 requests, so that rare allocations count too.
		n := testing.AllocsPerRun(1, func() {
			for range 10_000 {
				step()
			}
		})
		if n != 0 {
			t.Errorf("%+v: %v allocations in 10,000 requests", l, n)
		}
	}
}
