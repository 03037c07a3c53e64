package quota_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ratelord/ratelord/quota"
)

// TestRandomized compares Earliest, Usage and Prune with brute-force
// reference models over thousands of random requests.
func TestRandomized(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		name    string
		inOrder bool // no booked slots: the bucket's reference is a true token bucket
		build   func(rng *rand.Rand) (quota.Limit, ref, int64)
	}{
		{"sliding", false, func(rng *rand.Rand) (quota.Limit, ref, int64) {
			l := randLimit(rng, quota.Sliding, false)
			return l, &windowRef{limit: l.Limit, window: l.Window}, 0
		}},
		{"sliding-burst", false, func(rng *rand.Rand) (quota.Limit, ref, int64) {
			l := randLimit(rng, quota.Sliding, true)
			return l, &windowRef{limit: l.Limit, window: l.Window, burst: newGCRA(l, l.Burst)}, 0
		}},
		{"fixed", false, func(rng *rand.Rand) (quota.Limit, ref, int64) {
			l := randLimit(rng, quota.Fixed, false)
			origin := rng.Int64N(l.Window)
			return l, &windowRef{limit: l.Limit, window: l.Window, fixed: true, origin: origin}, origin
		}},
		{"fixed-burst", false, func(rng *rand.Rand) (quota.Limit, ref, int64) {
			l := randLimit(rng, quota.Fixed, true)
			origin := rng.Int64N(2) * rng.Int64N(l.Window)
			return l, &windowRef{limit: l.Limit, window: l.Window, fixed: true, origin: origin, burst: newGCRA(l, l.Burst)}, origin
		}},
		{"bucket", true, func(rng *rand.Rand) (quota.Limit, ref, int64) {
			l := randLimit(rng, quota.Bucket, rng.IntN(2) == 0)
			c := capacity(l)
			return l, &tokenRef{limit: l.Limit, window: l.Window, capacity: c, tokW: c * l.Window}, 0
		}},
		{"bucket-booked", false, func(rng *rand.Rand) (quota.Limit, ref, int64) {
			l := randLimit(rng, quota.Bucket, rng.IntN(2) == 0)
			return l, &bucketRef{g: *newGCRA(l, capacity(l))}, 0
		}},
	}
	for _, k := range kinds {
		for _, seed := range []uint64{1, 2, 3, 4, 5, 6, 7, 8} {
			t.Run(fmt.Sprintf("%s/seed=%d", k.name, seed), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(seed, uint64(len(k.name))))
				l, r, origin := k.build(rng)
				t.Logf("seed %d: %+v, origin %d", seed, l, origin)
				runRandom(t, rng, l, r, origin, k.inOrder)
			})
		}
	}
}

func randLimit(rng *rand.Rand, a quota.Algorithm, burst bool) quota.Limit {
	l := quota.Limit{Algorithm: a, Window: 7 + rng.Int64N(44), Limit: 1 + rng.Int64N(20)}
	if rng.IntN(4) == 0 {
		l.Limit = 1 + rng.Int64N(3*l.Window) // several units per ns
	}
	if burst {
		l.Burst = 1 + rng.Int64N(l.Limit)
		if a == quota.Bucket {
			l.Burst = 1 + rng.Int64N(2*l.Limit)
		}
	}
	return l
}

func capacity(l quota.Limit) int64 {
	if l.Burst > 0 {
		return l.Burst
	}
	return l.Limit
}

func newGCRA(l quota.Limit, capacity int64) *gcraRef {
	return &gcraRef{limit: l.Limit, window: l.Window, capacity: capacity}
}

func runRandom(t *testing.T, rng *rand.Rand, l quota.Limit, r ref, origin int64, inOrder bool) {
	var s quota.State
	l.Align(&s, origin)
	type charged struct{ at, units int64 }
	var charges []charged
	now := int64(0)
	for i := range 5000 {
		switch p := rng.IntN(100); {
		case p < 3:
			now += 2*l.Window + rng.Int64N(l.Window) // idle: everything expires
		case p < 30: // same instant
		default:
			now += rng.Int64N(l.Window/3 + 1)
		}
		from := now
		if !inOrder && rng.IntN(4) == 0 {
			from += rng.Int64N(2 * l.Window)
		}
		share := int64(full)
		if rng.IntN(3) == 0 {
			share = 3000 + rng.Int64N(7001)
		}
		most := l.MaxCost(share)
		cost := 1 + rng.Int64N(max(most, 1))
		if rng.IntN(30) == 0 {
			cost = most + 1 + rng.Int64N(3)
		}
		got, ok := l.Earliest(&s, now, from, cost, share)
		want, wok := r.earliest(from, cost, share)
		if ok != wok || ok && got != want {
			t.Fatalf("request %d: Earliest(now=%d, from=%d, cost=%d, share=%d) = %d, %v; reference %d, %v; state %+v",
				i, now, from, cost, share, got, ok, want, wok, s)
		}
		// Charge like a governor with a max wait, so bookings stay near now.
		if ok && got-now <= 3*l.Window && rng.IntN(4) != 0 {
			l.Charge(&s, got, cost)
			r.charge(got, cost)
			charges = append(charges, charged{got, cost})
			if inOrder {
				now = got
			}
		}
		if len(charges) > 0 && rng.IntN(15) == 0 {
			c := charges[len(charges)-1-rng.IntN(min(len(charges), 8))]
			if !inOrder || c.at <= now {
				n := 1 + rng.Int64N(c.units)
				l.Adjust(&s, now, c.at, -n)
				r.refund(now, c.at, n)
			}
		}
		if rng.IntN(8) == 0 {
			if got, want := l.Usage(&s, now), r.usage(now); got != want {
				t.Fatalf("request %d: Usage(%d) = %+v; reference %+v", i, now, got, want)
			}
		}
		if rng.IntN(25) == 0 {
			if got, want := l.Prune(&s, now), r.empty(now); got != want {
				t.Fatalf("request %d: Prune(%d) = %v; reference %v; state %+v", i, now, got, want, s)
			}
		}
		if rng.IntN(40) == 0 {
			s = MustRoundTrip(t, &s)
		}
	}
	r.verify(t)
}

// bucketRef is the GCRA rule applied in the order of the charges, booked
// slots included.
type bucketRef struct{ g gcraRef }

func (b *bucketRef) earliest(from, cost, share int64) (int64, bool) {
	for t := from; t <= max(from, b.g.horizon())+1; t++ {
		if b.g.fits(t, cost, share) {
			return t, true
		}
	}
	return 0, false
}

func (b *bucketRef) charge(at, cost int64)  { b.g.charge(at, cost) }
func (b *bucketRef) refund(now, _, n int64) { b.g.refund(now, n) }
func (b *bucketRef) empty(now int64) bool   { return b.g.tatL <= now*b.g.limit }
func (b *bucketRef) verify(*testing.T)      {}
func ceilDiv(a, b int64) int64              { return (a + b - 1) / b }
func (b *bucketRef) usage(now int64) quota.Usage {
	debt := b.g.tatL - now*b.g.limit // missing tokens times Window
	if debt <= 0 {
		return quota.Usage{Remaining: b.g.capacity, ResetAt: now}
	}
	used := ceilDiv(debt, b.g.window)
	return quota.Usage{Used: used, Remaining: max(b.g.capacity-used, 0), ResetAt: ceilDiv(b.g.tatL, b.g.limit)}
}

// tokenRef is a true token bucket for in-order arrivals: tokW is the tokens
// times Window at time last, refilled by Limit per ns up to the capacity.
type tokenRef struct {
	limit, window, capacity int64
	tokW, last              int64
}

func (b *tokenRef) tokens(t int64) int64 {
	return min(b.capacity*b.window, b.tokW+(t-b.last)*b.limit)
}

func (b *tokenRef) earliest(from, cost, share int64) (int64, bool) {
	keep := (b.capacity - capOf(b.capacity, share)) * b.window // reserved for higher priorities
	for t := from; t <= from+b.capacity*b.window/b.limit+2; t++ {
		if b.tokens(t)-cost*b.window >= keep {
			return t, true
		}
	}
	return 0, false
}

func (b *tokenRef) charge(at, cost int64) {
	b.tokW, b.last = b.tokens(at)-cost*b.window, at
}

func (b *tokenRef) refund(now, _, n int64) {
	b.tokW, b.last = min(b.capacity*b.window, b.tokens(now)+n*b.window), now
}

func (b *tokenRef) usage(now int64) quota.Usage {
	missing := b.capacity*b.window - b.tokens(now)
	used := ceilDiv(missing, b.window)
	return quota.Usage{Used: used, Remaining: b.capacity - used, ResetAt: now + ceilDiv(missing, b.limit)}
}

func (b *tokenRef) empty(now int64) bool { return b.tokens(now) == b.capacity*b.window }
func (b *tokenRef) verify(*testing.T)    {}
