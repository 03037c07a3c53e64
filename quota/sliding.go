package quota

// A unit charged at t counts for every instant in [t, t+Window). Since times
// are integers, the intervals to check are [x, x+Window) for integer x.

// dropEntries pops the entries that stopped counting at or before now.
func (l Limit) dropEntries(s *State, now int64) {
	i := 0
	for i < len(s.Entries) && s.Entries[i].At <= now-l.Window {
		s.sum -= s.Entries[i].Units
		i++
	}
	switch {
	case i == 0:
	case i == len(s.Entries):
		if len(s.buf) > keepBuf {
			s.buf = nil
		}
		s.Entries = s.buf[:0:len(s.buf)]
	default:
		s.Entries = s.Entries[i:]
	}
}

// slidingEarliest returns the smallest t >= from at which cost more units keep
// every interval of length Window within capacity.
func (l Limit) slidingEarliest(s *State, from, cost, capacity int64) int64 {
	e := s.Entries
	if len(e) == 0 {
		return from
	}
	if e[len(e)-1].At > from {
		return l.slidingScan(e, from, cost, capacity)
	}
	// Nothing is charged after from, so for any t >= from the fullest
	// interval containing t is (t-Window, t]: t fits once the units charged
	// after t-Window leave room. Popping the oldest units until they do costs
	// O(1) amortized when from is now (the entries are pruned to now).
	need := s.sum + cost - capacity
	i := 0
	for ; i < len(e) && e[i].At <= from-l.Window; i++ {
		need -= e[i].Units
	}
	if need <= 0 {
		return from
	}
	for ; need > 0; i++ { // ends within e: dropping every unit leaves cost <= capacity
		need -= e[i].Units
	}
	return e[i-1].At + l.Window
}

// slidingScan is slidingEarliest when charges are booked after from.
//
// Candidates: suppose t > from fits and t-1 does not. The intervals holding
// both t-1 and t hold the same charges, so the one that overflowed with cost
// at t-1 is [t-W, t-1], while [t-W+1, t] does not overflow with cost at t.
// The first differs from the second by the units at t-W (only in the first)
// and at t (only in the second), so units sit at t-W. Every first fitting
// instant is thus from or some charge's At+W, and only those are tried; a
// charge's own time At >= from never starts a fitting run unless it is one
// of these. If the interval starting at x overflows, no instant in it fits,
// so the scan jumps to the first At+W at or past x+W.
func (l Limit) slidingScan(e []Entry, from, cost, capacity int64) int64 {
	t := from
	for {
		x, full := l.fullest(e, t, cost, capacity)
		if !full {
			return t
		}
		// The too-full interval holds units at or after x, so i < len(e).
		i := searchAt(e, x)
		t = e[i].At + l.Window
	}
}

// fullest reports whether cost at t overfills some interval [x, x+W) that
// contains t, and returns the latest such x. Moving a start x right by one
// only loses the units at x, so an interval starting at no charge holds no
// more than the next one: the starts to try are the charges in (t-W, t] and
// t itself.
func (l Limit) fullest(e []Entry, t, cost, capacity int64) (x int64, full bool) {
	j := searchAt(e, t-l.Window+1)
	r := j
	var sum int64 // the units in e[j:r]
	for ; j < len(e) && e[j].At <= t; j++ {
		for r < len(e) && e[r].At < e[j].At+l.Window {
			sum += e[r].Units
			r++
		}
		if sum+cost > capacity {
			x, full = e[j].At, true
		}
		sum -= e[j].Units
	}
	for r < len(e) && e[r].At < t+l.Window {
		sum += e[r].Units
		r++
	}
	if sum+cost > capacity {
		return t, true
	}
	return x, full
}

// searchAt returns the index of the first entry at or after t.
func searchAt(e []Entry, t int64) int {
	lo, hi := 0, len(e)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if e[m].At < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// slidingCharge adds cost units at at, merging with a charge at the same
// instant.
func (l Limit) slidingCharge(s *State, at, cost int64) {
	s.sum += cost
	n := len(s.Entries)
	if n == 0 || s.Entries[n-1].At < at {
		s.pushEntry(Entry{At: at, Units: cost})
		return
	}
	i := searchAt(s.Entries, at)
	if i < n && s.Entries[i].At == at {
		s.Entries[i].Units += cost
		return
	}
	s.insertEntry(i, Entry{At: at, Units: cost})
}

// slidingAdjust applies delta to the charge at at and returns the change made.
func (l Limit) slidingAdjust(s *State, now, at, delta int64) int64 {
	if at <= now-l.Window {
		return 0
	}
	i := searchAt(s.Entries, at)
	if i == len(s.Entries) || s.Entries[i].At != at {
		if delta < 0 {
			return 0
		}
		l.slidingCharge(s, at, delta)
		return delta
	}
	delta = max(delta, -s.Entries[i].Units)
	s.Entries[i].Units += delta
	s.sum += delta
	if s.Entries[i].Units == 0 {
		s.Entries = append(s.Entries[:i], s.Entries[i+1:]...)
	}
	return delta
}

func (l Limit) slidingUsage(s *State, now int64) Usage {
	l.dropEntries(s, now)
	u := Usage{Used: s.sum, ResetAt: now}
	if n := len(s.Entries); n > 0 && s.Entries[n-1].At > now {
		u.Used = 0
		for _, e := range s.Entries[:searchAt(s.Entries, now+1)] {
			u.Used += e.Units
		}
	}
	if len(s.Entries) > 0 && s.Entries[0].At <= now {
		u.ResetAt = s.Entries[0].At + l.Window
	}
	u.Remaining = max(l.Limit-u.Used, 0)
	return u
}
