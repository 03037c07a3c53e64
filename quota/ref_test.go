package quota_test

import (
	"testing"

	"github.com/ratelord/ratelord/quota"
)

// Reference models for the randomized tests: brute force over integer time,
// written from the definitions rather than from the package's code.

// ref is a reference model of one limit.
type ref interface {
	// earliest tries from, from+1, ... and returns the first time cost fits.
	earliest(from, cost, share int64) (int64, bool)
	charge(at, cost int64)
	refund(now, at, n int64)
	usage(now int64) quota.Usage
	empty(now int64) bool // nothing charged still matters at or after now
	verify(t *testing.T)  // the limit held over the whole run
}

func capOf(n, share int64) int64 { return n * share / quota.FullShare }

// series holds units per instant, times >= 0.
type series []int64

func (s series) at(t int64) int64 {
	if t < 0 || t >= int64(len(s)) {
		return 0
	}
	return s[t]
}

func (s *series) add(t, n int64) {
	for int64(len(*s)) <= t {
		*s = append(*s, 0)
	}
	(*s)[t] += n
}

// gcraRef is the GCRA rule in integers: tatL is the TAT times Limit.
type gcraRef struct {
	limit, window, capacity int64
	tatL                    int64
}

func (g *gcraRef) fits(t, cost, share int64) bool {
	return max(g.tatL, t*g.limit)+cost*g.window-t*g.limit <= capOf(g.capacity, share)*g.window
}

func (g *gcraRef) charge(at, cost int64) { g.tatL = max(g.tatL, at*g.limit) + cost*g.window }

func (g *gcraRef) refund(now, n int64) {
	if g.tatL > now*g.limit {
		g.tatL = max(g.tatL-n*g.window, now*g.limit)
	}
}

func (g *gcraRef) horizon() int64 { return g.tatL/g.limit + 1 }

// windowRef models Sliding (fixed == false) or Fixed windows, with an
// optional burst GCRA.
type windowRef struct {
	limit, window, origin int64
	fixed                 bool
	units                 series // units charged at each instant
	burst                 *gcraRef
}

// start returns the start of the fixed window containing t.
func (r *windowRef) start(t int64) int64 {
	k := (t - r.origin) / r.window
	if (t-r.origin)%r.window < 0 {
		k--
	}
	return r.origin + k*r.window
}

// sum returns the units charged in [a, b).
func (r *windowRef) sum(a, b int64) int64 {
	var n int64
	for t := a; t < b; t++ {
		n += r.units.at(t)
	}
	return n
}

func (r *windowRef) fits(t, cost, share int64) bool {
	if r.burst != nil && !r.burst.fits(t, cost, share) {
		return false
	}
	c := capOf(r.limit, share)
	if r.fixed {
		w := r.start(t)
		return r.sum(w, w+r.window)+cost <= c
	}
	n := r.sum(t-r.window+1, t+1)
	for x := t - r.window + 1; x <= t; x++ { // every [x, x+window) holding t
		if n+cost > c {
			return false
		}
		n += r.units.at(x+r.window) - r.units.at(x)
	}
	return true
}

func (r *windowRef) earliest(from, cost, share int64) (int64, bool) {
	end := max(from, int64(len(r.units))) + 2*r.window
	if r.burst != nil {
		end = max(end, r.burst.horizon()+2*r.window)
	}
	for t := from; t <= end; t++ {
		if r.fits(t, cost, share) {
			return t, true
		}
	}
	return 0, false
}

func (r *windowRef) charge(at, cost int64) {
	r.units.add(at, cost)
	if r.burst != nil {
		r.burst.charge(at, cost)
	}
}

// refund takes units back from the instant (sliding) or the window (fixed)
// of at, as long as it still counts at now.
func (r *windowRef) refund(now, at, n int64) {
	a, b := at, at+1
	if r.fixed {
		a = r.start(at)
		b = a + r.window
	}
	if (r.fixed && b <= now) || (!r.fixed && at+r.window <= now) {
		return
	}
	done := int64(0)
	for t := b - 1; t >= a && done < n; t-- {
		d := min(r.units.at(t), n-done)
		if d > 0 {
			r.units[t] -= d
			done += d
		}
	}
	if r.burst != nil && done > 0 {
		r.burst.refund(now, done)
	}
}

func (r *windowRef) usage(now int64) quota.Usage {
	if r.fixed {
		w := r.start(now)
		n := r.sum(w, w+r.window)
		return quota.Usage{Used: n, Remaining: max(r.limit-n, 0), ResetAt: w + r.window}
	}
	u := quota.Usage{Used: r.sum(now-r.window+1, now+1), ResetAt: now}
	for t := now - r.window + 1; t <= now; t++ {
		if r.units.at(t) > 0 {
			u.ResetAt = t + r.window
			break
		}
	}
	u.Remaining = max(r.limit-u.Used, 0)
	return u
}

func (r *windowRef) empty(now int64) bool {
	from := now - r.window + 1
	if r.fixed {
		if r.origin%r.window != 0 {
			return false
		}
		from = r.start(now)
	}
	if r.sum(from, int64(len(r.units))) > 0 {
		return false
	}
	return r.burst == nil || r.burst.tatL <= now*r.limit
}

func (r *windowRef) verify(t *testing.T) {
	t.Helper()
	step := int64(1)
	if r.fixed {
		step = r.window
	}
	for x := r.start(0) - r.window; x < int64(len(r.units)); x += step {
		if n := r.sum(x, x+r.window); n > r.limit {
			t.Fatalf("[%d, %d) holds %d units; limit %d", x, x+r.window, n, r.limit)
		}
	}
}
