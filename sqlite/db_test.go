package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratelord/ratelord/sqlite"
)

// TestOpen_WAL checks that the database is in WAL mode and migrated once.
func TestOpen_WAL(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new", "dir", "ratelord.db")
	MustClose(t, MustOpen(t, path, "")) // creates the directory
	MustOpen(t, path, sqlite.SyncNormal)

	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var mode string
	if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var versions, rows int
	if err := raw.QueryRow("SELECT MAX(version), COUNT(*) FROM schema_migrations").Scan(&versions, &rows); err != nil {
		t.Fatal(err)
	}
	if versions != 2 || rows != 2 {
		t.Fatalf("schema_migrations: max version %d in %d rows; want 2 in 2", versions, rows)
	}
	var indexes int
	if err := raw.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_time_ns'").Scan(&indexes); err != nil || indexes != 0 {
		t.Fatalf("events_time_ns index still there (%d, %v)", indexes, err)
	}
}

// TestOpen_Invalid checks the errors of a bad configuration.
func TestOpen_Invalid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		db   *sqlite.DB
		want string
	}{
		{&sqlite.DB{}, "open db: path is empty"},
		{&sqlite.DB{Path: TempPath(t), Sync: "off"}, `open db: sync "off": want full or normal`},
	} {
		if err := tc.db.Open(); err == nil || err.Error() != tc.want {
			t.Errorf("Open = %v, want %q", err, tc.want)
		}
		if err := tc.db.Close(); err != nil {
			t.Errorf("Close after a failed Open = %v", err)
		}
	}
}

// TestOpen_Locked checks that a second daemon cannot open a database in use.
func TestOpen_Locked(t *testing.T) {
	t.Parallel()
	path := TempPath(t)
	first := MustOpen(t, path, "")

	second := &sqlite.DB{Path: path}
	err := second.Open()
	want := fmt.Sprintf("database %s is in use by another ratelord-d (pid %d); stop it or pass a different --db", path, os.Getpid())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("second Open = %v, want it to contain %q", err, want)
	}
	var locked *sqlite.LockedError
	if !errors.As(err, &locked) || locked.PID != os.Getpid() {
		t.Fatalf("second Open = %#v, want a *sqlite.LockedError with our pid", err)
	}

	MustClose(t, first)
	MustClose(t, first) // twice is fine
	MustOpen(t, path, "")
}

// TestClose_Drains checks that Close commits what is queued, and that a
// closed DB refuses work with ErrClosed.
func TestClose_Drains(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := TempPath(t)
	db := MustOpen(t, path, "")
	for _, e := range Grants(1, 1000) {
		db.Append(e)
	}
	db.SaveSnapshot(1000, []byte("last"))
	MustClose(t, db)
	if err := db.Durable(ctx, 1000); err != nil {
		t.Fatalf("Durable of a drained event after Close = %v", err)
	}
	db.Append(Grant(1001))
	if err := db.Durable(ctx, 1001); !errors.Is(err, sqlite.ErrClosed) {
		t.Fatalf("Durable after Close = %v, want ErrClosed", err)
	}
	if _, err := db.Prune(ctx, time.Now()); !errors.Is(err, sqlite.ErrClosed) {
		t.Fatalf("Prune after Close = %v, want ErrClosed", err)
	}
	if err := db.Ping(ctx); !errors.Is(err, sqlite.ErrClosed) {
		t.Fatalf("Ping after Close = %v, want ErrClosed", err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("WAL is %d bytes after Close, want it checkpointed", fi.Size())
	}

	db = MustOpen(t, path, "")
	if n := len(MustReplay(t, db, 0)); n != 1000 {
		t.Fatalf("after reopen: %d events, want 1000", n)
	}
	if seq, data, err := db.LoadSnapshot(ctx); err != nil || seq != 1000 || string(data) != "last" {
		t.Fatalf("LoadSnapshot = %d, %q, %v; want 1000, last, nil", seq, data, err)
	}
	if seq, err := db.LastSeq(ctx); err != nil || seq != 1000 {
		t.Fatalf("LastSeq = %d, %v; want 1000, nil", seq, err)
	}
}

// TestGroupCommit_Reopen checks that concurrent appends all survive a
// restart, exactly once.
func TestGroupCommit_Reopen(t *testing.T) {
	t.Parallel()
	const goroutines, each = 64, 40
	path := TempPath(t)
	db := MustOpen(t, path, "")
	q := &Sequencer{Store: db}
	errs := make(chan error, goroutines)
	for range goroutines {
		go func() {
			var err error
			for range each {
				if err = db.Durable(context.Background(), q.Append()); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range goroutines {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	MustClose(t, db)

	db = MustOpen(t, path, "")
	if got, want := Seqs(MustReplay(t, db, 0)), Seqs(Grants(1, goroutines*each)); !slices.Equal(got, want) {
		t.Fatalf("after reopen: %d events, want seqs 1..%d once each", len(got), goroutines*each)
	}
	if seq, err := db.LastSeq(context.Background()); err != nil || seq != goroutines*each {
		t.Fatalf("LastSeq = %d, %v; want %d", seq, err, goroutines*each)
	}
}

// TestCommitFailure makes one batch fail: Durable reports the cause, the
// failure is logged and seen by Ping, and later batches commit normally.
func TestCommitFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs syncBuffer
	db := &sqlite.DB{Path: TempPath(t), Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	defer MustClose(t, db)
	MustAppend(t, db, Grant(1))

	raw, err := sql.Open("sqlite", db.Path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	const trigger = `CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.identity = 'boom'
		BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`
	if _, err := raw.Exec(trigger); err != nil {
		t.Fatal(err)
	}

	bad := Grant(2)
	bad.Identity = "boom"
	db.Append(bad)
	err = db.Durable(ctx, 2)
	if err == nil || !strings.HasPrefix(err.Error(), "commit events: insert events 2 to 2: ") || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Durable of a failed event = %v, want commit events: insert events 2 to 2: ... disk on fire", err)
	}
	if err := db.Ping(ctx); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Ping after a failed commit = %v, want the cause", err)
	}
	if out := logs.String(); !strings.Contains(out, "level=ERROR msg=\"commit events\"") || !strings.Contains(out, "attempt=4") {
		t.Fatalf("log = %q, want commit errors at level ERROR for 4 attempts", out)
	}

	MustAppend(t, db, Grant(3))
	if err := db.Durable(ctx, 1); err != nil {
		t.Fatalf("Durable(1) = %v", err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping after a good commit = %v", err)
	}
	if got, want := Seqs(MustReplay(t, db, 0)), []int64{1, 3}; !slices.Equal(got, want) {
		t.Fatalf("seqs %v, want %v", got, want)
	}
}

// TestAppend_OutOfOrder checks that an event whose seq does not increase
// is refused through Durable, without failing its neighbours.
func TestAppend_OutOfOrder(t *testing.T) {
	t.Parallel()
	db := MustOpen(t, TempPath(t), "")
	db.Append(Grant(1))
	db.Append(Grant(3))
	db.Append(Grant(2))
	db.Append(Grant(4))
	if err := db.Durable(context.Background(), 2); err == nil || !strings.Contains(err.Error(), "seq is not after 3") {
		t.Fatalf("Durable(2) = %v, want seq is not after 3", err)
	}
	if err := db.Durable(context.Background(), 4); err != nil {
		t.Fatalf("Durable(4) = %v", err)
	}
	if got, want := Seqs(MustReplay(t, db, 0)), []int64{1, 3, 4}; !slices.Equal(got, want) {
		t.Fatalf("seqs %v, want %v", got, want)
	}
}
