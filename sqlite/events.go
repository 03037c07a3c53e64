package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ratelord/ratelord/governor"
)

// defaultLimit is the page size of Events when the query sets none.
const defaultLimit = 100

// insertSizes are the row counts of the prepared multi-row INSERTs: a
// batch is written with as few statements as these sizes allow.
var insertSizes = []int{64, 16, 4, 1}

// insertEventsSQL is an INSERT of n events.
func insertEventsSQL(n int) string {
	row := "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	return `INSERT INTO events
	(seq, time_ns, type, lease_id, identity, priority, pools, reason, message, expires_ns)
	VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// eventColumns is what scanEvent reads, in its order.
const eventColumns = `seq, time_ns, type, COALESCE(lease_id, ''), COALESCE(identity, ''),
	COALESCE(priority, ''), pools, COALESCE(reason, ''), COALESCE(message, ''), expires_ns`

// insertEvents writes events inside the writer's open transaction, many
// rows per statement. Empty strings and a zero Expires are stored as NULL;
// times as UTC unix nanoseconds.
func (db *DB) insertEvents(ctx context.Context, events []governor.Event) error {
	for len(events) > 0 {
		size := 1
		for _, n := range insertSizes {
			if n <= len(events) {
				size = n
				break
			}
		}
		args := db.args[:0]
		for i := range events[:size] {
			e := &events[i]
			var pools, expires any
			if len(e.Pools) > 0 {
				b, err := e.Pools.MarshalJSON()
				if err != nil {
					return fmt.Errorf("encode pools of event %d: %w", e.Seq, err)
				}
				pools = string(b) // TEXT: SQLite would read a BLOB as JSONB
			}
			if !e.Expires.IsZero() {
				expires = e.Expires.UnixNano()
			}
			args = append(args, e.Seq, e.Time.UnixNano(), string(e.Type),
				null(e.LeaseID.String()), null(e.Identity), null(e.Priority), pools,
				null(e.Reason), null(e.Message), expires)
		}
		db.args = args
		if _, err := db.inserts[size].ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert events %d to %d: %w", events[0].Seq, events[size-1].Seq, err)
		}
		events = events[size:]
	}
	return nil
}

// null maps the empty string to SQL NULL.
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Events lists the audit log oldest first: the events with Seq > q.After
// that match every non-zero filter, at most q.Limit of them (100 when
// q.Limit is 0). q.Pool matches an event whose pools include that pool.
func (db *DB) Events(ctx context.Context, q governor.EventQuery) ([]governor.Event, error) {
	where := []string{"seq > ?"}
	args := []any{q.After}
	if q.Type != "" {
		where = append(where, "type = ?")
		args = append(args, string(q.Type))
	}
	if q.Identity != "" {
		where = append(where, "identity = ?")
		args = append(args, q.Identity)
	}
	if q.Pool != "" {
		where = append(where, "EXISTS (SELECT 1 FROM json_each(events.pools) AS p WHERE p.key = ?)")
		args = append(args, q.Pool)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	args = append(args, limit)
	query := "SELECT " + eventColumns + " FROM events WHERE " + strings.Join(where, " AND ") + " ORDER BY seq LIMIT ?"
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []governor.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

// LastSeq returns the highest committed seq, or 0 for an empty database.
// It counts the snapshot's seq too, since Prune may have deleted every
// event up to it.
func (db *DB) LastSeq(ctx context.Context) (int64, error) {
	const q = `SELECT MAX(
		COALESCE((SELECT MAX(seq) FROM events), 0),
		COALESCE((SELECT seq FROM snapshot WHERE id = 1), 0))`
	var seq int64
	if err := db.read.QueryRowContext(ctx, q).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read last seq: %w", err)
	}
	return seq, nil
}

// Replay calls fn for every event with Seq > after, in Seq order, streaming
// the rows from one read transaction. It stops at fn's first error and
// returns it as is.
func (db *DB) Replay(ctx context.Context, after int64, fn func(governor.Event) error) error {
	rows, err := db.read.QueryContext(ctx, "SELECT "+eventColumns+" FROM events WHERE seq > ? AND type NOT IN ('deny', 'reload') ORDER BY seq", after)
	if err != nil {
		return fmt.Errorf("replay events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return fmt.Errorf("replay events: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("replay events: %w", err)
	}
	return nil
}

// scanEvent reads one row of eventColumns. Times come back in UTC.
func scanEvent(rows *sql.Rows) (governor.Event, error) {
	var (
		e       governor.Event
		lease   string
		timeNS  int64
		pools   []byte
		expires sql.NullInt64
	)
	err := rows.Scan(&e.Seq, &timeNS, &e.Type, &lease, &e.Identity,
		&e.Priority, &pools, &e.Reason, &e.Message, &expires)
	if err != nil {
		return e, err
	}
	e.Time = time.Unix(0, timeNS).UTC()
	if err := e.LeaseID.UnmarshalText([]byte(lease)); err != nil {
		return e, fmt.Errorf("event %d: %w", e.Seq, err)
	}
	if pools != nil {
		if err := e.Pools.UnmarshalJSON(pools); err != nil {
			return e, fmt.Errorf("decode pools of event %d: %w", e.Seq, err)
		}
	}
	if expires.Valid {
		e.Expires = time.Unix(0, expires.Int64).UTC()
	}
	return e, nil
}
