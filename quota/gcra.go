package quota

import "math/bits"

// The GCRA (generic cell rate algorithm) is a token bucket kept as one
// instant, the theoretical arrival time (TAT): the bucket is full from TAT
// on, and each unit pushes TAT by the emission interval Window/Limit. Cost
// fits at t with capacity c iff max(TAT, t) + span(cost) - t <= span(c).
//
// Instants are kept exactly as TAT + TATFrac/Limit ns, and spans as
// n*Window/Limit computed in 128 bits (quotient and remainder), so the
// bucket neither over- nor under-admits against a true token bucket that
// refills Limit/Window units per ns.

// maxSpan bounds spans so that adding one to a time never overflows.
const maxSpan = 1 << 61

// span returns n*Window/Limit ns as a whole part and a remainder in 1/Limit
// ns, for n >= 0.
func (l Limit) span(n int64) (q, r int64) {
	hi, lo := bits.Mul64(uint64(n), uint64(l.Window))
	if hi >= uint64(l.Limit) {
		return maxSpan, 0
	}
	uq, ur := bits.Div64(hi, lo, uint64(l.Limit))
	if uq > maxSpan {
		return maxSpan, 0
	}
	return int64(uq), int64(ur)
}

// tat returns the state's TAT. A fraction out of range (Limit changed under
// the state) rounds up, which only delays.
func (l Limit) tat(s *State) (q, f int64) {
	if s.TATFrac < 0 || s.TATFrac >= l.Limit {
		return s.TAT + 1, 0
	}
	return s.TAT, s.TATFrac
}

// after reports whether q + f/Limit > t.
func after(q, f, t int64) bool {
	return q > t || q == t && f > 0
}

// gcraEarliest returns the smallest t >= from at which cost fits with
// capacity (cost <= capacity). For t >= TAT the rule reads
// span(cost) <= span(capacity), which holds; for t < TAT it reads
// t >= TAT + span(cost) - span(capacity), a point at or before TAT.
func (l Limit) gcraEarliest(s *State, from, cost, capacity int64) int64 {
	tq, tf := l.tat(s)
	iq, ir := l.span(cost)
	cq, cr := l.span(capacity)
	dq, df := tq+iq-cq, tf+ir-cr
	switch {
	case df >= l.Limit:
		dq, df = dq+1, df-l.Limit
	case df < 0:
		dq, df = dq-1, df+l.Limit
	}
	if df > 0 {
		dq++
	}
	return max(from, dq)
}

// gcraCharge sets TAT to max(TAT, at) + span(cost).
func (l Limit) gcraCharge(s *State, at, cost int64) {
	tq, tf := l.tat(s)
	if !after(tq, tf, at) {
		tq, tf = at, 0
	}
	iq, ir := l.span(cost)
	tf += ir
	if tf >= l.Limit {
		tq, tf = tq+1, tf-l.Limit
	}
	s.TAT, s.TATFrac = min(tq, maxTime-iq)+iq, tf
}

// maxTime keeps TAT from overflowing after absurd over-charges.
const maxTime = 1<<63 - 1 - maxSpan

// gcraAdjust charges delta more as if at at, or gives -delta back: TAT moves
// back by its span, but not before now, where the bucket is full.
func (l Limit) gcraAdjust(s *State, now, at, delta int64) {
	if delta > 0 {
		l.gcraCharge(s, at, delta)
		return
	}
	tq, tf := l.tat(s)
	if !after(tq, tf, now) {
		return
	}
	iq, ir := l.span(-delta)
	tq, tf = tq-iq, tf-ir
	if tf < 0 {
		tq, tf = tq-1, tf+l.Limit
	}
	if !after(tq, tf, now) {
		tq, tf = 0, 0
	}
	s.TAT, s.TATFrac = tq, tf
}

// gcraPrune forgets a TAT that has passed: the bucket is full either way.
func (l Limit) gcraPrune(s *State, now int64) {
	if tq, tf := l.tat(s); !after(tq, tf, now) {
		s.TAT, s.TATFrac = 0, 0
	}
}

// gcraUsage reports a bucket: the tokens missing at now are
// (TAT-now)*Limit/Window, rounded up into Used and down into Remaining.
func (l Limit) gcraUsage(s *State, now int64) Usage {
	capacity := l.bucketCapacity()
	tq, tf := l.tat(s)
	if !after(tq, tf, now) {
		return Usage{Used: 0, Remaining: capacity, ResetAt: now}
	}
	u := Usage{ResetAt: tq}
	if tf > 0 {
		u.ResetAt++
	}
	// (tq-now)*Limit + tf, in 128 bits, divided by Window and rounded up.
	hi, lo := bits.Mul64(uint64(tq-now), uint64(l.Limit))
	lo, c := bits.Add64(lo, uint64(tf), 0)
	hi += c
	if hi >= uint64(l.Window) {
		u.Used = maxSpan
	} else {
		q, r := bits.Div64(hi, lo, uint64(l.Window))
		if r > 0 {
			q++
		}
		u.Used = int64(min(q, maxSpan))
	}
	u.Remaining = max(capacity-u.Used, 0)
	return u
}
