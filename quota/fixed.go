package quota

// Fixed windows are [Origin + k*Window, Origin + (k+1)*Window). Stored counts
// are looked up by the window containing their Start, so a State stays
// correct if Origin or Window changes under it (Align, a policy reload).

// windowStart returns the start of the window containing t.
func (l Limit) windowStart(s *State, t int64) int64 {
	return t - mod(t-s.Origin, l.Window)
}

// dropWindows removes the windows that ended at or before now, moving the
// rest to the front so the slice never needs to grow again.
func (l Limit) dropWindows(s *State, now int64) {
	i := 0
	for i < len(s.Windows) && l.windowStart(s, s.Windows[i].Start)+l.Window <= now {
		i++
	}
	if i > 0 {
		s.Windows = s.Windows[:copy(s.Windows, s.Windows[i:])]
	}
}

// fixedEarliest returns the smallest t >= from whose window has room for cost.
// Each full window moves t to the next window's start; a window without a
// count is empty, so the loop ends within the stored windows.
func (l Limit) fixedEarliest(s *State, from, cost, capacity int64) int64 {
	t := from
	w := l.windowStart(s, t)
	ws := s.Windows
	i := 0
	for {
		for i < len(ws) && l.windowStart(s, ws[i].Start) < w {
			i++
		}
		var n int64
		for ; i < len(ws) && l.windowStart(s, ws[i].Start) == w; i++ {
			n += ws[i].Units
		}
		if n+cost <= capacity {
			return t
		}
		w += l.Window
		t = w
	}
}

// fixedCharge adds cost units to the window containing at. Charges usually
// land in the latest window, so the search runs from the back.
func (l Limit) fixedCharge(s *State, at, cost int64) {
	w := l.windowStart(s, at)
	i := len(s.Windows)
	for i > 0 && l.windowStart(s, s.Windows[i-1].Start) > w {
		i--
	}
	if i > 0 && l.windowStart(s, s.Windows[i-1].Start) == w {
		s.Windows[i-1].Units += cost
		return
	}
	s.Windows = append(s.Windows, WindowCount{})
	copy(s.Windows[i+1:], s.Windows[i:])
	s.Windows[i] = WindowCount{Start: w, Units: cost}
}

// fixedAdjust applies delta to the window containing at and returns the
// change made.
func (l Limit) fixedAdjust(s *State, now, at, delta int64) int64 {
	w := l.windowStart(s, at)
	if w+l.Window <= now {
		return 0
	}
	i := len(s.Windows)
	for i > 0 && l.windowStart(s, s.Windows[i-1].Start) > w {
		i--
	}
	if i == 0 || l.windowStart(s, s.Windows[i-1].Start) != w {
		if delta < 0 {
			return 0
		}
		l.fixedCharge(s, at, delta)
		return delta
	}
	c := &s.Windows[i-1]
	delta = max(delta, -c.Units)
	c.Units += delta
	if c.Units == 0 {
		s.Windows = append(s.Windows[:i-1], s.Windows[i:]...)
	}
	return delta
}

// fixedCount returns the units in the window starting at w.
func (l Limit) fixedCount(s *State, w int64) int64 {
	var n int64
	for _, c := range s.Windows {
		if l.windowStart(s, c.Start) == w {
			n += c.Units
		}
	}
	return n
}

func (l Limit) fixedUsage(s *State, now int64) Usage {
	l.dropWindows(s, now)
	w := l.windowStart(s, now)
	n := l.fixedCount(s, w)
	return Usage{Used: n, Remaining: max(l.Limit-n, 0), ResetAt: w + l.Window}
}

// Align makes a Fixed limit's windows start at resetAt + k*Window, the
// upstream's reset time; until then they start at k*Window (the Unix epoch).
// Each stored count moves to the new window containing its old window's
// start: the count of the window in progress then expires at resetAt, as
// the upstream's does. Align is a no-op for other algorithms.
func (l Limit) Align(s *State, resetAt int64) {
	if !l.valid() || l.Algorithm != Fixed {
		return
	}
	s.prepare()
	s.Origin = mod(resetAt, l.Window)
	n := 0
	for _, c := range s.Windows {
		c.Start = l.windowStart(s, c.Start)
		if n > 0 && s.Windows[n-1].Start == c.Start {
			s.Windows[n-1].Units += c.Units
			continue
		}
		s.Windows[n] = c
		n++
	}
	s.Windows = s.Windows[:n]
}
