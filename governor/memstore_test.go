package governor_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/policy"
)

// memStore is an in-memory governor.Store for unit tests.
type memStore struct {
	mu       sync.Mutex
	events   []governor.Event
	snapSeq  int64
	snapData []byte
	failNext error // the next Durable returns this
}

func (m *memStore) Append(e governor.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.Pools = append(governor.Costs(nil), e.Pools...) // the caller reuses it
	m.events = append(m.events, e)
}

func (m *memStore) Durable(ctx context.Context, seq int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failNext; err != nil {
		m.failNext = nil
		return err
	}
	return ctx.Err()
}

func (m *memStore) SaveSnapshot(seq int64, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snapSeq, m.snapData = seq, data
}

func (m *memStore) LoadSnapshot(ctx context.Context) (int64, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snapSeq, m.snapData, nil
}

func (m *memStore) Replay(ctx context.Context, after int64, fn func(governor.Event) error) error {
	for _, e := range m.all() {
		if e.Seq > after && e.Type != governor.EventDeny && e.Type != governor.EventReload {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *memStore) Events(ctx context.Context, q governor.EventQuery) ([]governor.Event, error) {
	var out []governor.Event
	for _, e := range m.all() {
		if e.Seq > q.After && (q.Type == "" || e.Type == q.Type) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memStore) LastSeq(ctx context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := len(m.events); n > 0 {
		return max(m.events[n-1].Seq, m.snapSeq), nil
	}
	return m.snapSeq, nil
}

func (m *memStore) Prune(ctx context.Context, before time.Time) (int64, error) { return 0, nil }
func (m *memStore) Ping(ctx context.Context) error                             { return nil }

func (m *memStore) all() []governor.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]governor.Event(nil), m.events...)
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// start is a fixed, epoch-aligned instant tests start at.
var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// MustGovernor opens a governor over a policy given as YAML, with a fake
// clock whose Sleep advances the clock (a waiter "sleeps" instantly).
func MustGovernor(tb testing.TB, yaml string, store *memStore) (*governor.Governor, *clock) {
	tb.Helper()
	p, err := policy.Parse("test.yaml", []byte(yaml))
	if err != nil {
		tb.Fatalf("parse policy: %v", err)
	}
	if store == nil {
		store = &memStore{}
	}
	c := &clock{now: start}
	g := &governor.Governor{Store: store, Policy: p, Now: c.Now, Logger: slog.New(slog.DiscardHandler), Sleep: func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.Advance(d)
		return nil
	}}
	if err := g.Open(context.Background()); err != nil {
		tb.Fatalf("open governor: %v", err)
	}
	return g, c
}
