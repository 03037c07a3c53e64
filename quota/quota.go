// Package quota implements ratelord's rate-limit algorithms as pure functions
// of (state, now, limit, cost): a sliding window, fixed windows, a token
// bucket (GCRA), and burst smoothing on top of either window.
//
// Nothing here reads a clock, does I/O, starts goroutines or locks: the caller
// stamps now once, serializes access to each State, and persists it (a State
// round-trips through encoding/json). Times are nanoseconds since the Unix
// epoch and durations are nanoseconds, both int64.
package quota

import (
	"fmt"
	"strconv"
)

// Algorithm selects how a Limit counts units.
type Algorithm uint8

const (
	// Sliding allows at most Limit units in every interval of length Window.
	Sliding Algorithm = iota
	// Fixed allows at most Limit units in each window
	// [origin + k*Window, origin + (k+1)*Window); see Limit.Align.
	Fixed
	// Bucket is a token bucket (GCRA) refilled continuously at Limit/Window
	// with capacity Burst (Limit when Burst is 0).
	Bucket
)

// ParseAlgorithm parses "sliding", "fixed" or "bucket"; "" means Sliding.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch s {
	case "", "sliding":
		return Sliding, nil
	case "fixed":
		return Fixed, nil
	case "bucket":
		return Bucket, nil
	}
	return Sliding, fmt.Errorf("unknown algorithm %q (want sliding, fixed or bucket)", s)
}

// String returns the name ParseAlgorithm accepts.
func (a Algorithm) String() string {
	switch a {
	case Sliding:
		return "sliding"
	case Fixed:
		return "fixed"
	case Bucket:
		return "bucket"
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// FullShare is the share, in basis points, that lets a request use all of a
// limit. A reserve of 30% for a priority gives it FullShare*70/100.
const FullShare = 10000

// Limit is an immutable limit spec. Validation is the policy's job; a Limit
// with Limit or Window <= 0, Burst < 0 or an unknown Algorithm grants
// nothing and changes no State.
type Limit struct {
	Algorithm Algorithm
	Limit     int64 // units per Window, > 0
	Window    int64 // ns, > 0
	// Burst is the bucket's capacity for Bucket (0 means Limit). For Sliding
	// and Fixed, 0 means no smoothing; otherwise at most Burst units go
	// back-to-back, refilled at Limit/Window (a GCRA on top of the window).
	Burst int64
}

// Usage is what a limit reports about one key at some instant.
type Usage struct {
	// Used is the units counting at now; for a bucket, its capacity minus
	// the tokens available, rounded up.
	Used int64
	// Remaining is Limit-Used for sliding and fixed (never negative), and
	// the whole tokens available for a bucket.
	Remaining int64
	// ResetAt is the end of the current window (fixed), when the oldest unit
	// counting now stops counting (sliding; now if none), or when the bucket
	// is full again (bucket; now if full).
	ResetAt int64
}

func (l Limit) valid() bool {
	return l.Limit > 0 && l.Window > 0 && l.Burst >= 0 && l.Algorithm <= Bucket
}

// usable is floor(n*share/FullShare) without overflow, share clamped to
// 0..FullShare.
func usable(n, share int64) int64 {
	share = min(max(share, 0), FullShare)
	return n/FullShare*share + n%FullShare*share/FullShare
}

// bucketCapacity is the capacity of a Bucket limit.
func (l Limit) bucketCapacity() int64 {
	if l.Burst > 0 {
		return l.Burst
	}
	return l.Limit
}

// MaxCost returns the largest cost Earliest can ever grant with share: the
// usable part of the window (and of the burst) or of the bucket's capacity.
// Share is in basis points and clamped to 0..FullShare.
func (l Limit) MaxCost(share int64) int64 {
	switch {
	case !l.valid():
		return 0
	case l.Algorithm == Bucket:
		return usable(l.bucketCapacity(), share)
	case l.Burst > 0:
		return min(usable(l.Limit, share), usable(l.Burst, share))
	}
	return usable(l.Limit, share)
}

// Earliest returns the earliest t >= from at which cost units fit, or
// ok=false when cost can never fit (cost > MaxCost(share)). share is the part
// of the limit, and of the burst, this request may use, in basis points
// (FullShare = all of it). It expects now <= from (a smaller from is raised
// to now); the state may hold charges booked after now. Earliest drops
// entries that stopped counting before now.
func (l Limit) Earliest(s *State, now, from, cost, share int64) (t int64, ok bool) {
	if !l.valid() || cost > l.MaxCost(share) {
		return 0, false
	}
	s.prepare()
	from = max(from, now)
	if cost <= 0 {
		return from, true
	}
	if l.Algorithm == Bucket {
		return l.gcraEarliest(s, from, cost, usable(l.bucketCapacity(), share)), true
	}
	if l.Burst > 0 {
		// The burst GCRA admits an upward-closed set of times, so the
		// earliest time both rules allow is the window's earliest from there.
		from = l.gcraEarliest(s, from, cost, usable(l.Burst, share))
	}
	if l.Algorithm == Fixed {
		l.dropWindows(s, now)
		return l.fixedEarliest(s, from, cost, usable(l.Limit, share)), true
	}
	l.dropEntries(s, now)
	return l.slidingEarliest(s, from, cost, usable(l.Limit, share)), true
}

// Charge records cost units at time at, which may be after now (a booked
// slot). The caller checked Earliest; Charge does not.
func (l Limit) Charge(s *State, at, cost int64) {
	if !l.valid() || cost <= 0 {
		return
	}
	s.prepare()
	switch {
	case l.Algorithm == Bucket:
		l.gcraCharge(s, at, cost)
		return
	case l.Burst > 0:
		l.gcraCharge(s, at, cost)
	}
	if l.Algorithm == Fixed {
		l.fixedCharge(s, at, cost)
	} else {
		l.slidingCharge(s, at, cost)
	}
}

// Adjust changes by delta the units charged at time at, to settle a lease. A
// negative delta refunds, never below zero for the charge at that instant
// (sliding) or window (fixed); a bucket gets the tokens back up to its
// capacity. A positive delta charges more even beyond the limit, because the
// upstream already spent it. Adjust is a no-op once the charge no longer
// counts at now.
func (l Limit) Adjust(s *State, now, at, delta int64) {
	if !l.valid() || delta == 0 {
		return
	}
	s.prepare()
	delta = max(delta, -maxSpan)
	switch l.Algorithm {
	case Bucket:
		l.gcraAdjust(s, now, at, delta)
		return
	case Fixed:
		delta = l.fixedAdjust(s, now, at, delta)
	default:
		delta = l.slidingAdjust(s, now, at, delta)
	}
	if l.Burst > 0 && delta != 0 {
		l.gcraAdjust(s, now, at, delta)
	}
}

// Usage reports the units counting against the limit at now (the full
// limit, whatever the caller's share). Booked charges after now count only
// for a fixed window that contains now.
func (l Limit) Usage(s *State, now int64) Usage {
	if !l.valid() {
		return Usage{ResetAt: now}
	}
	s.prepare()
	switch l.Algorithm {
	case Bucket:
		return l.gcraUsage(s, now)
	case Fixed:
		return l.fixedUsage(s, now)
	}
	return l.slidingUsage(s, now)
}
