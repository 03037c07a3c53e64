// Package sqlite is ratelord's durable local store: the audit log of every
// event and the newest snapshot of the governor's state, in one SQLite
// database in WAL mode, so that a restart never resets a quota.
//
// One goroutine owns the write connection. It commits every event that
// arrived while the previous commit ran in a single transaction (group
// commit), so one fsync acknowledges many grants. Readers use a separate
// read-only pool, which WAL lets run while the writer writes.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ratelord/ratelord/governor"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// The values of DB.Sync.
const (
	// SyncFull makes an acknowledged event survive power loss: the WAL is
	// fsynced at every commit.
	SyncFull = "full"
	// SyncNormal makes an acknowledged event survive a crash of the process,
	// not of the machine: the WAL is fsynced only at checkpoints.
	SyncNormal = "normal"
)

// ErrClosed is wrapped by the errors of a DB that is closed or not open.
var ErrClosed = errors.New("db closed")

// Attribute keys of the log records.
const (
	attrPath    = "path"
	attrErr     = "err"
	attrFromSeq = "from_seq"
	attrToSeq   = "to_seq"
	attrAttempt = "attempt"
	attrSnap    = "snapshot_seq"
)

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection (a checkpoint, an operator's sqlite3 shell) before failing.
const busyTimeoutMS = "5000"

var _ governor.Store = (*DB)(nil)

// DB is the SQLite store; it implements governor.Store. Set the exported
// fields, call Open once, and Close when done. Once Open has returned, its
// methods are safe for concurrent use.
type DB struct {
	// Path is the database file, e.g. ./ratelord.db. Open creates it and
	// its directory if needed. Path+".lock" keeps a second daemon out.
	Path string
	// Sync is SyncFull ("full", the default when empty) or SyncNormal
	// ("normal"); see those constants.
	Sync string
	// Logger receives commit failures. Default slog.Default().
	Logger *slog.Logger
	// OnCommit, when set, is called by the writer after each group commit,
	// successful or not, with the batch's event count, the time the commit
	// took (retries included) and its error. It runs before the batch's
	// waiters are woken, so it must be quick. Set it before Open.
	OnCommit func(events int, d time.Duration, err error)

	lock    *os.File
	write   *sql.DB           // at most one connection: conn
	conn    *sql.Conn         // owned by the writer goroutine once Open returns
	inserts map[int]*sql.Stmt // multi-row INSERTs by row count, prepared on conn
	args    []any             // the writer's reused argument buffer
	read    *sql.DB           // read-only pool

	writerState
}

// Open creates the database file and its directory if needed, takes the
// lock file, checks that the journal is in WAL mode, applies the schema
// migrations and starts the writer.
func (db *DB) Open() (err error) {
	db.mu.Lock()
	state := db.state
	db.mu.Unlock()
	if state != stateNew {
		return fmt.Errorf("open db: %w", errors.New("already opened or closed"))
	}
	if db.Logger == nil {
		db.Logger = slog.Default()
	}
	defer func() {
		if err != nil {
			db.release() //nolint:errcheck // the open error says more
			err = fmt.Errorf("open db: %w", err)
		}
	}()
	var sync string
	switch strings.ToLower(db.Sync) {
	case "", SyncFull:
		sync = "FULL"
	case SyncNormal:
		sync = "NORMAL"
	default:
		return fmt.Errorf("sync %q: want %s or %s", db.Sync, SyncFull, SyncNormal)
	}
	if db.Path == "" {
		return errors.New("path is empty")
	}
	abs, err := filepath.Abs(db.Path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return err
	}
	if db.lock, err = lockFile(db.Path); err != nil {
		return err
	}
	ctx := context.Background()
	if err := db.openWriter(ctx, abs, sync); err != nil {
		return err
	}
	db.read, err = sql.Open("sqlite", dsn(abs, "mode=ro", "_pragma=busy_timeout("+busyTimeoutMS+")"))
	if err != nil {
		return err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.read.SetMaxOpenConns(n)
	db.read.SetMaxIdleConns(n)
	last, err := db.LastSeq(ctx)
	if err != nil {
		return err
	}
	db.start(last)
	return nil
}

// openWriter opens the single write connection, switches it to WAL,
// migrates the schema and prepares the INSERT of events.
func (db *DB) openWriter(ctx context.Context, path, sync string) (err error) {
	db.write, err = sql.Open("sqlite", dsn(path,
		"_pragma=busy_timeout("+busyTimeoutMS+")",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous("+sync+")",
	))
	if err != nil {
		return err
	}
	db.write.SetMaxOpenConns(1)
	if db.conn, err = db.write.Conn(ctx); err != nil {
		return err
	}
	var mode string
	if err := db.conn.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return fmt.Errorf("set journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("set journal mode: got %q, want wal (is the file on a network file system?)", mode)
	}
	if err := migrate(ctx, db.conn); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	db.inserts = make(map[int]*sql.Stmt, len(insertSizes))
	for _, n := range insertSizes {
		if db.inserts[n], err = db.conn.PrepareContext(ctx, insertEventsSQL(n)); err != nil {
			return fmt.Errorf("prepare insert: %w", err)
		}
	}
	return nil
}

// dsn builds a URI file name for the modernc driver. SQLite URIs treat
// '%', '?' and '#' specially, so they are escaped in the path.
func dsn(path string, params ...string) string {
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	return "file:" + path + "?" + strings.Join(params, "&")
}

// Close commits everything queued, writes the queued snapshot, checkpoints
// the WAL into the database file and releases the lock. It is safe to call
// more than once; later calls return the first call's result.
func (db *DB) Close() error {
	db.closeMu.Lock()
	defer db.closeMu.Unlock()
	if !db.stop() {
		return db.closeErr
	}
	err := db.release()
	if err != nil {
		err = fmt.Errorf("close db: %w", err)
	}
	db.closeErr = err
	return err
}

// release closes whatever Open acquired, in reverse order. The writer must
// not be running.
func (db *DB) release() error {
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.conn != nil {
		errs = append(errs, db.checkpoint())
	}
	for _, st := range db.inserts {
		errs = append(errs, st.Close())
	}
	if db.conn != nil {
		errs = append(errs, db.conn.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	if db.lock != nil {
		errs = append(errs, unlockFile(db.lock))
	}
	return errors.Join(errs...)
}

// checkpoint copies the WAL into the database file and truncates it, so a
// stopped daemon leaves a single self-contained file.
func (db *DB) checkpoint() error {
	var busy, frames, done int
	err := db.conn.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done)
	if err != nil {
		return fmt.Errorf("checkpoint wal: %w", err)
	}
	if busy != 0 {
		db.Logger.Warn("checkpoint wal: a reader kept the WAL from being truncated", attrPath, db.Path)
	}
	return nil
}

// Ping reads from the database and reports the last commit failure, if the
// most recent batch could not be committed.
func (db *DB) Ping(ctx context.Context) error {
	if !db.running() {
		return fmt.Errorf("ping db: %w", ErrClosed)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		return fmt.Errorf("ping db: %w", err)
	}
	if p := db.lastErr.Load(); p != nil {
		return fmt.Errorf("ping db: %w", *p)
	}
	return nil
}
