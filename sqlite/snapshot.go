package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// pruneBatch is how many events one Prune transaction deletes at most, so
// the writer is never kept from committing grants for long.
const pruneBatch = 10_000

// snapshot is a queued snapshot of the governor's state.
type snapshot struct {
	seq  int64
	data []byte
}

// SaveSnapshot queues a snapshot that includes exactly the events up to
// seq. The writer commits it in the same transaction as the last of those
// events or a later one, and keeps only the newest snapshot (by seq). It
// takes a mutex and never does I/O; data is copied. A snapshot queued after
// Close is dropped.
func (db *DB) SaveSnapshot(seq int64, data []byte) {
	s := &snapshot{seq: seq, data: bytes.Clone(data)}
	db.mu.Lock()
	if db.state == stateOpen && (db.snap == nil || seq >= db.snap.seq) {
		db.snap = s
	}
	db.mu.Unlock()
	db.signal()
}

// saveSnapshot writes s inside the writer's open transaction, unless the
// stored snapshot is newer.
func (db *DB) saveSnapshot(ctx context.Context, s *snapshot) error {
	const q = `INSERT INTO snapshot (id, seq, data, created_ns) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, data = excluded.data, created_ns = excluded.created_ns
		WHERE excluded.seq >= snapshot.seq`
	_, err := db.conn.ExecContext(ctx, q, s.seq, s.data, time.Now().UnixNano())
	return err
}

// LoadSnapshot returns the newest snapshot, or seq 0 and nil data when there
// is none.
func (db *DB) LoadSnapshot(ctx context.Context) (seq int64, data []byte, err error) {
	err = db.read.QueryRowContext(ctx, `SELECT seq, data FROM snapshot WHERE id = 1`).Scan(&seq, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("load snapshot: %w", err)
	}
	return seq, data, nil
}

// Prune deletes the events older than before whose seq is at most the
// stored snapshot's: a restart replays the events after the snapshot, so
// those stay whatever their age. It runs on the writer goroutine in
// transactions of at most 10,000 rows, between group commits, and
// returns how many events it deleted (also when it stops early on an error).
func (db *DB) Prune(ctx context.Context, before time.Time) (deleted int64, err error) {
	req := &pruneReq{ctx: ctx, before: before.UnixNano(), done: make(chan struct{})}
	db.mu.Lock()
	if db.state != stateOpen {
		db.mu.Unlock()
		return 0, fmt.Errorf("prune events: %w", ErrClosed)
	}
	db.prunes = append(db.prunes, req)
	db.mu.Unlock()
	db.signal()
	<-req.done // the writer checks ctx before every batch
	return req.deleted, req.err
}

// pruneReq is a Prune call in progress; the writer owns it until done.
type pruneReq struct {
	ctx     context.Context
	before  int64 // unix nanoseconds
	deleted int64
	err     error
	done    chan struct{}
}

// step deletes one batch of events and reports whether the prune is over.
func (p *pruneReq) step(db *DB) bool {
	if err := p.ctx.Err(); err != nil {
		p.finish(fmt.Errorf("prune events: %w", err))
		return true
	}
	// Events are nearly in time order by seq (only a waiter's grant carries
	// its later slot), so pruning walks the oldest seqs and stops at the
	// first batch that is not wholly old: no index on time is needed, and
	// the writer never scans more than one batch per step.
	const q = `DELETE FROM events WHERE time_ns < ? AND seq IN (
		SELECT seq FROM events
		WHERE seq <= COALESCE((SELECT seq FROM snapshot WHERE id = 1), 0)
		ORDER BY seq LIMIT ?)`
	res, err := db.conn.ExecContext(context.Background(), q, p.before, pruneBatch)
	if err != nil {
		p.finish(fmt.Errorf("prune events: %w", err))
		return true
	}
	n, err := res.RowsAffected()
	if err != nil {
		p.finish(fmt.Errorf("prune events: %w", err))
		return true
	}
	p.deleted += n
	if n < pruneBatch {
		p.finish(nil)
		return true
	}
	return false
}

// finish hands the result to the waiting Prune call.
func (p *pruneReq) finish(err error) {
	p.err = err
	close(p.done)
}
