package governor

import (
	"context"
	"time"
)

// Store keeps the audit log durable and lets the governor recover its state.
//
// The governor calls Append under its own lock, in strictly increasing Seq
// order, and never waits there; it then waits outside the lock with Durable
// before it acknowledges a grant. A store batches every event that arrived
// while the previous commit ran into one transaction (group commit).
type Store interface {
	// Append queues e for commit. It must not block on I/O.
	Append(e Event)
	// Durable waits until the commit of every event up to and including seq
	// has been tried. It returns nil when the event seq is committed, else the
	// error of its commit (after a failed batch the log has a gap), or ctx's.
	Durable(ctx context.Context, seq int64) error
	// SaveSnapshot queues a snapshot of the governor's state that includes
	// exactly the events up to seq. It is committed with or after those
	// events; a snapshot lost to a crash is harmless (replay covers it).
	SaveSnapshot(seq int64, data []byte)
	// LoadSnapshot returns the newest snapshot, or seq 0 and nil data.
	LoadSnapshot(ctx context.Context) (seq int64, data []byte, err error)
	// Replay calls fn, in Seq order, for every event with Seq > after that
	// changes state: every type but deny and reload.
	Replay(ctx context.Context, after int64, fn func(Event) error) error
	// LastSeq returns the highest seq committed (or covered by the snapshot).
	LastSeq(ctx context.Context) (int64, error)
	// Events lists the audit log for the API.
	Events(ctx context.Context, q EventQuery) ([]Event, error)
	// Prune deletes events older than before whose Seq is at most the newest
	// snapshot's, so that a restart can still replay what it needs.
	Prune(ctx context.Context, before time.Time) (deleted int64, err error)
	// Ping reports whether the store is reachable (readiness).
	Ping(ctx context.Context) error
}

// EventQuery filters the audit log. Zero fields match everything.
type EventQuery struct {
	After    int64 // only events with Seq > After
	Limit    int   // at most this many (the caller caps it)
	Pool     string
	Identity string
	Type     EventType
}
