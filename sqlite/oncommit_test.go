package sqlite_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ratelord/ratelord/sqlite"
)

// commitLog records the calls of DB.OnCommit.
type commitLog struct {
	mu    sync.Mutex
	calls []commitCall
}

// commitCall is one call of DB.OnCommit.
type commitCall struct {
	events int
	d      time.Duration
	err    error
}

func (l *commitLog) record(events int, d time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, commitCall{events, d, err})
}

// all returns the calls so far.
func (l *commitLog) all() []commitCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// TestOnCommit checks that the writer reports every group commit before
// its waiters return: the events it held, a duration, and a failed
// commit's error.
func TestOnCommit(t *testing.T) {
	t.Parallel()
	var log commitLog
	db := &sqlite.DB{Path: TempPath(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), OnCommit: log.record}
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	defer MustClose(t, db)

	MustAppend(t, db, Grants(1, 3)...)
	calls := log.all()
	total := 0
	for _, c := range calls {
		if c.err != nil || c.d <= 0 {
			t.Fatalf("commit of good events reported %+v", c)
		}
		total += c.events
	}
	if total != 3 {
		t.Fatalf("OnCommit saw %d events in %d calls, want 3", total, len(calls))
	}

	raw, err := sql.Open("sqlite", db.Path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.identity = 'boom'
		BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`); err != nil {
		t.Fatal(err)
	}
	bad := Grant(4)
	bad.Identity = "boom"
	db.Append(bad)
	durableErr := db.Durable(context.Background(), 4)
	if durableErr == nil {
		t.Fatal("Durable of a failed event = nil")
	}
	calls = log.all()
	last := calls[len(calls)-1]
	if last.events != 1 || last.err == nil || last.err.Error() != durableErr.Error() {
		t.Fatalf("failed commit reported %+v, want 1 event and error %q", last, durableErr)
	}
}
