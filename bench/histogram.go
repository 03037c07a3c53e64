package bench

import (
	"math"
	"math/bits"
	"time"
)

// The histogram is log-linear, like HdrHistogram: values below 2^subBits
// nanoseconds have a bucket each; above, every power of two is cut into
// 2^(subBits-1) equal buckets. A bucket is then at most 1/256 of its
// values wide, and a percentile (the bucket's midpoint, clamped to the
// exact minimum and maximum) is within 0.2% of the true sample: 0.2µs at
// 100µs, 2µs at 1ms. Values above 2^maxBits ns (about 18 minutes) share
// the last bucket; the maximum itself is kept exactly.
const (
	subBits  = 9
	subCount = 1 << subBits
	half     = subCount / 2
	maxBits  = 40
	buckets  = subCount + (maxBits-subBits)*half
)

// histogram counts latencies. It is not safe for concurrent use: each
// worker has its own, merged at the end of the run.
type histogram struct {
	counts   []uint64
	n        uint64
	sum      float64 // nanoseconds, for the mean
	min, max int64
}

func newHistogram() *histogram {
	return &histogram{counts: make([]uint64, buckets), min: math.MaxInt64}
}

// bucketOf returns the bucket index of v nanoseconds.
func bucketOf(v int64) int {
	if v < subCount {
		return int(max(v, 0))
	}
	n := bits.Len64(uint64(v))
	if n > maxBits {
		return buckets - 1
	}
	shift := n - subBits
	return subCount + (shift-1)*half + int(v>>shift) - half
}

// bucketRange returns the smallest value of bucket i and its width.
func bucketRange(i int) (low, width int64) {
	if i < subCount {
		return int64(i), 1
	}
	shift := (i-subCount)/half + 1
	top := int64((i-subCount)%half + half)
	return top << shift, 1 << shift
}

// record adds one latency.
func (h *histogram) record(d time.Duration) {
	v := int64(d)
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// quantile returns the latency below or at which a fraction q (0 < q <= 1)
// of the samples fall, or 0 without samples.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			low, width := bucketRange(i)
			mid := low + (width-1)/2
			return time.Duration(min(max(mid, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// summary returns the latency figures of a report.
func (h *histogram) summary() Latency {
	if h.n == 0 {
		return Latency{}
	}
	return Latency{
		P50: h.quantile(0.50), P90: h.quantile(0.90), P99: h.quantile(0.99),
		Max: time.Duration(h.max), Mean: time.Duration(h.sum / float64(h.n)),
	}
}
