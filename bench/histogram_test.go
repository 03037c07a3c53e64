package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsCoverValues(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	values := []int64{0, 1, subCount - 1, subCount, subCount + 1, 1 << 20, 1<<maxBits - 1}
	for range 100000 {
		values = append(values, r.Int64N(1<<maxBits))
		values = append(values, r.Int64N(1<<20))
	}
	prev := -1
	for _, v := range slices.Sorted(slices.Values(values)) {
		i := bucketOf(v)
		low, width := bucketRange(i)
		switch {
		case i < prev:
			t.Fatalf("bucketOf(%d) = %d, below the bucket of a smaller value (%d)", v, i, prev)
		case v < low || v >= low+width:
			t.Fatalf("bucketOf(%d) = %d, whose range is [%d, %d)", v, i, low, low+width)
		case width > 1 && float64(width)/float64(low) > 1.0/half:
			t.Fatalf("bucket %d is [%d, %d): wider than 1/%d of its values", i, low, low+width, half)
		}
		prev = i
	}
	if got := bucketOf(math.MaxInt64); got != buckets-1 {
		t.Errorf("bucketOf(MaxInt64) = %d, want the last bucket %d", got, buckets-1)
	}
}

func TestQuantilesWithinPrecision(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	h := newHistogram()
	var exact []time.Duration
	for range 50000 {
		// Latencies from 20µs to about 50ms, spread over three decades.
		d := time.Duration(20e3 * math.Exp(r.Float64()*math.Log(2500)))
		exact = append(exact, d)
		h.record(d)
	}
	slices.Sort(exact)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		want := exact[int(math.Ceil(q*float64(len(exact))))-1]
		got := h.quantile(q)
		if rel := math.Abs(float64(got-want)) / float64(want); rel > 0.002 {
			t.Errorf("quantile(%g) = %v, exact %v: off by %.3f%%, want at most 0.2%%", q, got, want, 100*rel)
		}
	}
	if h.quantile(1) != exact[len(exact)-1] {
		t.Errorf("quantile(1) = %v, want the exact maximum %v", h.quantile(1), exact[len(exact)-1])
	}
	other := newHistogram()
	other.record(time.Hour)
	h.merge(other)
	if s := h.summary(); s.Max != time.Hour || s.P50 > s.P90 || s.P90 > s.P99 || s.P99 > s.Max {
		t.Errorf("summary after merge %+v: want ordered percentiles and max 1h", s)
	}
}

func TestEmptyHistogram(t *testing.T) {
	t.Parallel()
	h := newHistogram()
	if s := h.summary(); s != (Latency{}) || h.quantile(0.5) != 0 {
		t.Errorf("empty summary %+v: want zeros", s)
	}
}

func BenchmarkRecord(b *testing.B) {
	h := newHistogram()
	d := 137 * time.Microsecond
	for b.Loop() {
		h.record(d)
		d = d*7/5%(50*time.Millisecond) + time.Microsecond
	}
}
