package quota

import (
	"cmp"
	"encoding/json"
	"slices"
)

// State is the mutable state of one limit for one key; the zero value is
// ready. The caller serializes access. The exported fields exist for
// persistence: a State round-trips through encoding/json and behaves the same
// afterwards. Set them only on a fresh State (or through encoding/json); the
// State then owns the slices. Copy a State that is still in use with Clone.
type State struct {
	// Entries are the sliding window's charges, ascending by At, one per instant.
	Entries []Entry `json:"entries,omitempty"`
	// Windows are the fixed windows' counts, ascending by Start.
	Windows []WindowCount `json:"windows,omitempty"`
	// Origin aligns fixed windows: they start at Origin + k*Window.
	Origin int64 `json:"origin,omitempty"`
	// TAT + TATFrac/Limit is the GCRA's theoretical arrival time in ns (a
	// bucket, or the burst of a window), 0 <= TATFrac < Limit. Keeping the
	// fraction makes the bucket exact: rounding would admit or refuse a unit
	// now and then that a true token bucket would not.
	TAT     int64 `json:"tat,omitempty"`
	TATFrac int64 `json:"tat_frac,omitempty"`

	prepared bool
	sum      int64   // the units in Entries
	buf      []Entry // the backing array of Entries, whose pruned front is reused
}

// Entry is the units charged at one instant of a sliding window.
type Entry struct {
	At    int64 `json:"at"`
	Units int64 `json:"units"`
}

// WindowCount is the units charged in the fixed window starting at Start.
type WindowCount struct {
	Start int64 `json:"start"`
	Units int64 `json:"units"`
}

// UnmarshalJSON decodes the exported fields and resets the derived ones.
func (s *State) UnmarshalJSON(b []byte) error {
	type fields State // without methods, so no recursion
	var f fields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*s = State(f)
	return nil
}

// Clone returns a deep copy of s that shares no memory with it.
func (s *State) Clone() State {
	return State{
		Entries: slices.Clone(s.Entries),
		Windows: slices.Clone(s.Windows),
		Origin:  s.Origin,
		TAT:     s.TAT,
		TATFrac: s.TATFrac,
	}
}

// prepare derives the running sum once, after decoding or construction, and
// repairs what persistence could have disordered.
func (s *State) prepare() {
	if s.prepared {
		return
	}
	s.prepared = true
	s.buf = nil
	if !slices.IsSortedFunc(s.Entries, func(a, b Entry) int { return cmp.Compare(a.At, b.At) }) {
		slices.SortStableFunc(s.Entries, func(a, b Entry) int { return cmp.Compare(a.At, b.At) })
	}
	n := 0
	for _, e := range s.Entries {
		switch {
		case e.Units <= 0:
		case n > 0 && s.Entries[n-1].At == e.At:
			s.Entries[n-1].Units += e.Units
		default:
			s.Entries[n] = e
			n++
		}
	}
	s.Entries = s.Entries[:n]
	s.sum = 0
	for _, e := range s.Entries {
		s.sum += e.Units
	}
	if !slices.IsSortedFunc(s.Windows, func(a, b WindowCount) int { return cmp.Compare(a.Start, b.Start) }) {
		slices.SortStableFunc(s.Windows, func(a, b WindowCount) int { return cmp.Compare(a.Start, b.Start) })
	}
	s.Windows = slices.DeleteFunc(s.Windows, func(w WindowCount) bool { return w.Units <= 0 })
}

// Prune drops what can no longer affect any decision at or after now,
// including fields this limit's algorithm does not use, and reports whether
// the state is now equivalent to the zero State (the caller may then drop
// the key). A fixed limit aligned off the epoch is never empty: its Origin
// matters. After Prune(now), calls must not use an earlier now.
func (l Limit) Prune(s *State, now int64) (empty bool) {
	if !l.valid() {
		return false
	}
	s.prepare()
	if l.Algorithm != Sliding {
		s.Entries, s.buf, s.sum = nil, nil, 0
	}
	if l.Algorithm != Fixed {
		s.Windows, s.Origin = nil, 0
	}
	switch l.Algorithm {
	case Sliding:
		l.dropEntries(s, now)
	case Fixed:
		l.dropWindows(s, now)
		if s.Origin = mod(s.Origin, l.Window); s.Origin != 0 {
			return false
		}
	}
	if l.Algorithm != Bucket && l.Burst == 0 {
		s.TAT, s.TATFrac = 0, 0
	}
	l.gcraPrune(s, now)
	return len(s.Entries) == 0 && len(s.Windows) == 0 && s.TAT == 0 && s.TATFrac == 0
}

// pushEntry appends e to s.Entries, used as a queue over s.buf. When the end
// of buf is reached and at least half of it is free (pruned from the front),
// the live entries move back to its start; otherwise buf is replaced by one
// twice the live length. Each move is paid for by as many pushes, and a queue
// at a steady length stops allocating.
func (s *State) pushEntry(e Entry) {
	if n := len(s.Entries); n == cap(s.Entries) {
		if len(s.buf) == 0 || 2*n > len(s.buf) || 8*n < len(s.buf) && len(s.buf) > keepBuf {
			s.buf = make([]Entry, max(2*n, minBuf))
		}
		s.Entries = s.buf[:copy(s.buf, s.Entries)]
	}
	s.Entries = append(s.Entries, e)
}

// minBuf is the smallest queue allocated for a sliding window (one entry, so
// that an identity that spent once stays small); a queue
// longer than keepBuf is released when it empties or shrinks to an eighth.
const (
	minBuf  = 1
	keepBuf = 64
)

// insertEntry inserts e at index i of s.Entries.
func (s *State) insertEntry(i int, e Entry) {
	s.pushEntry(e)
	copy(s.Entries[i+1:], s.Entries[i:])
	s.Entries[i] = e
}

// mod is the floored modulo: 0 <= mod(a, m) < m for m > 0.
func mod(a, m int64) int64 {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}
