package sqlite_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/sqlite"
)

// t0 is the time of the first test event; it is not UTC on purpose.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))

// TempPath returns a database path in a fresh temporary directory.
func TempPath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "ratelord.db")
}

// MustOpen opens a DB at path with the given sync mode ("" for the
// default) and closes it when the test ends.
func MustOpen(tb testing.TB, path, sync string) *sqlite.DB {
	tb.Helper()
	db := &sqlite.DB{Path: path, Sync: sync, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := db.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// MustClose closes db.
func MustClose(tb testing.TB, db *sqlite.DB) {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
}

// MustAppend appends events and waits until the last one is durable.
func MustAppend(tb testing.TB, s governor.Store, events ...governor.Event) {
	tb.Helper()
	for _, e := range events {
		s.Append(e)
	}
	if len(events) == 0 {
		return
	}
	if err := s.Durable(context.Background(), events[len(events)-1].Seq); err != nil {
		tb.Fatal(err)
	}
}

// MustEvents lists the events that match q.
func MustEvents(tb testing.TB, s governor.Store, q governor.EventQuery) []governor.Event {
	tb.Helper()
	events, err := s.Events(context.Background(), q)
	if err != nil {
		tb.Fatal(err)
	}
	return events
}

// MustReplay returns every event after seq.
func MustReplay(tb testing.TB, s governor.Store, after int64) []governor.Event {
	tb.Helper()
	var out []governor.Event
	err := s.Replay(context.Background(), after, func(e governor.Event) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// Grant returns a grant event with seq at time t0 + seq minutes.
func Grant(seq int64) governor.Event {
	return governor.Event{
		Seq:      seq,
		Time:     t0.Add(time.Duration(seq) * time.Minute),
		Type:     governor.EventGrant,
		LeaseID:  governor.LeaseID(seq),
		Identity: "crawler-1",
		Priority: "normal",
		Pools:    governor.Costs{{Pool: "github-core", Units: 1}},
	}
}

// Grants returns Grant(from) ... Grant(to).
func Grants(from, to int64) []governor.Event {
	var out []governor.Event
	for seq := from; seq <= to; seq++ {
		out = append(out, Grant(seq))
	}
	return out
}

// Seqs returns the seqs of events.
func Seqs(events []governor.Event) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.Seq
	}
	return out
}

// Sequencer appends events in seq order from many goroutines, as the
// governor does: numbering and Append under one lock, Durable outside it.
type Sequencer struct {
	Store governor.Store
	Last  int64 // the last seq appended; the next is Last+1

	mu sync.Mutex
}

// Append appends the next grant and returns its seq without waiting.
func (q *Sequencer) Append() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.Last++
	q.Store.Append(Grant(q.Last))
	return q.Last
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
