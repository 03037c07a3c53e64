package sqlite

import (
	"context"
	"fmt"

	"github.com/ratelord/ratelord/governor"
)

// maxFailures bounds the failed ranges kept for Durable. A waiter asks
// right after its Append, so only recent failures matter.
const maxFailures = 1024

// failure is a range of seqs that will never be committed, and why.
type failure struct {
	from, to int64
	err      error
}

// Append queues e for the writer. It takes a mutex and never does I/O, so
// the governor may call it under its own lock. Seqs must increase; an event
// whose seq does not, or that arrives after Close, is not written and
// Durable reports it.
func (db *DB) Append(e governor.Event) {
	db.mu.Lock()
	switch {
	case db.state != stateOpen:
		db.mu.Unlock()
		return // Durable returns ErrClosed
	case e.Seq <= db.appended:
		db.fail(e.Seq, e.Seq, fmt.Errorf("append event %d: seq is not after %d", e.Seq, db.appended))
		db.mu.Unlock()
		return
	}
	if len(e.Pools) > 0 {
		// The caller may reuse e.Pools once Append returns: keep a copy in
		// an arena that the next batch replaces.
		start := len(db.costs)
		db.costs = append(db.costs, e.Pools...)
		e.Pools = db.costs[start:len(db.costs):len(db.costs)]
	}
	db.pending = append(db.pending, e)
	db.appended = e.Seq
	db.mu.Unlock()
	db.signal()
}

// Durable waits until the event with the given seq, and every event before
// it, has been committed or failed. It returns nil when the event itself is
// committed, the commit's error (`commit events: ...`) when it failed, or
// ctx's error. A goroutine waits on a channel the writer closes after each
// commit; no goroutine is started per caller.
func (db *DB) Durable(ctx context.Context, seq int64) error {
	for {
		ch := db.notify.Load() // before done: see publish
		if ch == nil {
			return fmt.Errorf("await commit: %w", ErrClosed)
		}
		if db.done.Load() >= seq {
			return db.failed(seq)
		}
		select {
		case <-*ch:
		case <-ctx.Done():
			return fmt.Errorf("await commit of event %d: %w", seq, ctx.Err())
		case <-db.stopped:
			if db.done.Load() >= seq {
				return db.failed(seq)
			}
			return fmt.Errorf("await commit of event %d: %w", seq, ErrClosed)
		}
	}
}

// fail records that the events from..to will never be committed. The
// caller holds db.mu.
func (db *DB) fail(from, to int64, err error) {
	var old []failure
	if p := db.failures.Load(); p != nil {
		old = *p
	}
	if len(old) >= maxFailures {
		old = old[len(old)-maxFailures+1:]
	}
	fs := append(append(make([]failure, 0, len(old)+1), old...), failure{from: from, to: to, err: err})
	db.failures.Store(&fs)
}

// failed returns the error of seq's failure, or nil if it was committed.
func (db *DB) failed(seq int64) error {
	p := db.failures.Load()
	if p == nil {
		return nil
	}
	fs := *p
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].from <= seq && seq <= fs[i].to {
			return fs[i].err
		}
	}
	return nil
}
