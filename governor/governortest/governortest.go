// Package governortest holds helpers for tests of the governor and of the
// packages built on it: a Store that keeps everything in memory, and a
// settable clock.
package governortest

import (
	"context"
	"sync"
	"time"

	"github.com/ratelord/ratelord/governor"
)

// MemStore is a governor.Store that keeps every event in memory and commits
// it at once. The zero value is ready.
type MemStore struct {
	mu       sync.Mutex
	events   []governor.Event
	snapSeq  int64
	snapData []byte
	failNext error
}

// FailNext makes the next Durable return err (a commit that failed).
func (m *MemStore) FailNext(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failNext = err
}

// Append keeps a copy of e (the caller may reuse e.Pools).
func (m *MemStore) Append(e governor.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.Pools = append(governor.Costs(nil), e.Pools...)
	m.events = append(m.events, e)
}

// Durable returns the error set by FailNext once, else ctx's error.
func (m *MemStore) Durable(ctx context.Context, seq int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failNext; err != nil {
		m.failNext = nil
		return err
	}
	return ctx.Err()
}

// SaveSnapshot keeps the snapshot.
func (m *MemStore) SaveSnapshot(seq int64, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snapSeq, m.snapData = seq, data
}

// LoadSnapshot returns the newest snapshot.
func (m *MemStore) LoadSnapshot(ctx context.Context) (int64, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snapSeq, m.snapData, nil
}

// Replay calls fn for the events after after that change state.
func (m *MemStore) Replay(ctx context.Context, after int64, fn func(governor.Event) error) error {
	for _, e := range m.All() {
		if e.Seq > after && e.Type != governor.EventDeny && e.Type != governor.EventReload {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// LastSeq returns the highest seq appended or snapshotted.
func (m *MemStore) LastSeq(ctx context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := len(m.events); n > 0 {
		return max(m.events[n-1].Seq, m.snapSeq), nil
	}
	return m.snapSeq, nil
}

// Events lists the events that match q (all of them when q.Limit is 0).
func (m *MemStore) Events(ctx context.Context, q governor.EventQuery) ([]governor.Event, error) {
	var out []governor.Event
	for _, e := range m.All() {
		if e.Seq <= q.After || (q.Type != "" && e.Type != q.Type) || (q.Identity != "" && e.Identity != q.Identity) {
			continue
		}
		if _, ok := e.Pools.Units(q.Pool); q.Pool != "" && !ok {
			continue
		}
		if out = append(out, e); q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

// Prune deletes nothing.
func (m *MemStore) Prune(ctx context.Context, before time.Time) (int64, error) { return 0, nil }

// Ping always answers.
func (m *MemStore) Ping(ctx context.Context) error { return nil }

// All returns every event, in order.
func (m *MemStore) All() []governor.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]governor.Event(nil), m.events...)
}

// OfType returns the events of type typ.
func (m *MemStore) OfType(typ governor.EventType) []governor.Event {
	evs, _ := m.Events(context.Background(), governor.EventQuery{Type: typ})
	return evs
}

// Clock is a settable clock; sleeping on it advances it at once.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock set to now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d (which may be negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep advances the clock by d, unless ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}
