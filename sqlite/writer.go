package sqlite

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ratelord/ratelord/governor"
)

// The lifecycle of a DB.
const (
	stateNew = iota
	stateOpen
	stateClosing
	stateClosed
)

// commitBackoff is the pause before each retry of a failed commit; a batch
// is tried len(commitBackoff)+1 times before its events are failed.
var commitBackoff = []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 250 * time.Millisecond}

// writerState is the queue between the callers and the writer goroutine,
// and what the writer publishes back.
type writerState struct {
	mu       sync.Mutex // guards the fields down to wake
	state    int
	pending  []governor.Event // appended, not yet taken by the writer
	costs    []governor.Cost  // arena holding the Pools of pending events
	snap     *snapshot        // the newest snapshot not yet taken
	prunes   []*pruneReq      // Prune calls not yet taken
	appended int64            // the highest seq appended
	wake     chan struct{}    // cap 1: there is work for the writer

	stopped  chan struct{}                 // closed when the writer returns
	done     atomic.Int64                  // highest seq the writer is done with (committed or failed)
	notify   atomic.Pointer[chan struct{}] // closed and replaced after each commit
	failures atomic.Pointer[[]failure]     // copy on write, under mu
	lastErr  atomic.Pointer[error]         // the last batch's error, nil after a success

	closeMu  sync.Mutex // serialises Close
	closeErr error
}

// batch is what the writer commits in one transaction.
type batch struct {
	events []governor.Event
	snap   *snapshot
}

// start launches the writer goroutine; last is the highest committed seq.
func (db *DB) start(last int64) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.appended = last
	db.done.Store(last)
	db.wake = make(chan struct{}, 1)
	db.stopped = make(chan struct{})
	ch := make(chan struct{})
	db.notify.Store(&ch)
	db.state = stateOpen
	go db.run()
}

// stop makes the writer drain the queue and return, and waits for it. It
// reports false if the DB was not open.
func (db *DB) stop() bool {
	db.mu.Lock()
	if db.state != stateOpen {
		db.state = max(db.state, stateClosed)
		db.mu.Unlock()
		return false
	}
	db.state = stateClosing
	db.mu.Unlock()
	db.signal()
	<-db.stopped
	db.mu.Lock()
	db.state = stateClosed
	db.mu.Unlock()
	return true
}

// running reports whether the DB is open and not closing.
func (db *DB) running() bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.state == stateOpen
}

// signal wakes the writer without blocking.
func (db *DB) signal() {
	select {
	case db.wake <- struct{}{}:
	default:
	}
}

// run is the writer goroutine: the only user of db.conn after Open. It
// alternates a group commit of whatever is queued with one batch of a
// Prune, so a long prune delays grants by one batch of deletes at most and
// a steady stream of grants cannot starve a prune. Once Close is called it
// drains the queue, fails the prunes and returns.
func (db *DB) run() {
	defer close(db.stopped)
	var b batch
	var prunes []*pruneReq
	for {
		closing := db.take(&b, &prunes)
		worked := len(b.events) > 0 || b.snap != nil
		if worked {
			db.commitBatch(&b)
		}
		switch {
		case closing && !worked:
			for _, p := range prunes {
				p.finish(fmt.Errorf("prune events: %w", ErrClosed))
			}
			return
		case closing:
			// take again until the queue is empty
		case len(prunes) > 0:
			if prunes[0].step(db) {
				prunes[0] = nil
				prunes = prunes[1:]
			}
		case !worked:
			<-db.wake
		}
	}
}

// take moves the queue into b and prunes, swapping buffers so that a steady
// stream of appends does not allocate, and reports whether Close was called.
// A snapshot waits until every event it includes has been appended.
func (db *DB) take(b *batch, prunes *[]*pruneReq) (closing bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	b.events, db.pending = db.pending, b.events[:0]
	db.costs = nil // the taken batch keeps the old arena
	if db.snap != nil && db.snap.seq <= db.appended {
		b.snap, db.snap = db.snap, nil
	}
	*prunes = append(*prunes, db.prunes...)
	clear(db.prunes)
	db.prunes = db.prunes[:0]
	return db.state != stateOpen
}

// commitBatch commits b, retrying a failed commit with backoff. If every
// attempt fails, Durable returns the error for b's events; later batches
// go on as usual. Then it publishes the progress and empties b.
func (db *DB) commitBatch(b *batch) {
	var err error
	var from, to int64
	if n := len(b.events); n > 0 {
		from, to = b.events[0].Seq, b.events[n-1].Seq
	}
	began := time.Now()
	for attempt := 0; ; attempt++ {
		if err = db.commit(b); err == nil {
			break
		}
		db.Logger.Error("commit events", attrFromSeq, from, attrToSeq, to, attrAttempt, attempt+1, attrErr, err)
		if attempt == len(commitBackoff) {
			break
		}
		time.Sleep(commitBackoff[attempt])
	}
	if err != nil {
		err = fmt.Errorf("commit events: %w", err)
		db.lastErr.Store(&err)
		if len(b.events) > 0 {
			db.mu.Lock()
			db.fail(from, to, err)
			db.mu.Unlock()
		}
		if b.snap != nil {
			db.Logger.Error("snapshot dropped", attrSnap, b.snap.seq, attrErr, err)
		}
	} else {
		db.lastErr.Store(nil)
	}
	if db.OnCommit != nil {
		// Before publish, so that a caller whose Durable returned sees it.
		db.OnCommit(len(b.events), time.Since(began), err)
	}
	if len(b.events) > 0 {
		db.publish(to)
	}
	clear(b.events) // drop references to the events' strings and costs
	b.events = b.events[:0]
	b.snap = nil
}

// commit writes b in one transaction: one fsync with synchronous=FULL.
func (db *DB) commit(b *batch) (err error) {
	ctx := context.Background()
	if _, err := db.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			// A failed COMMIT may already have rolled back; that error is moot.
			db.conn.ExecContext(ctx, "ROLLBACK") //nolint:errcheck
		}
	}()
	if err := db.insertEvents(ctx, b.events); err != nil {
		return err
	}
	if b.snap != nil {
		if err := db.saveSnapshot(ctx, b.snap); err != nil {
			return fmt.Errorf("save snapshot %d: %w", b.snap.seq, err)
		}
	}
	if _, err := db.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// publish records that the writer is done with every seq up to seq and
// wakes the Durable waiters. done is stored before the channel is swapped,
// so a waiter that loads the new channel also sees the new done.
func (db *DB) publish(seq int64) {
	db.done.Store(seq)
	ch := make(chan struct{})
	old := db.notify.Swap(&ch)
	close(*old)
}
