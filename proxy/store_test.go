package proxy_test

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/ratelord/ratelord/governor"
)

// memStore is an in-memory governor.Store.
type memStore struct {
	mu     sync.Mutex
	events []governor.Event
}

func (m *memStore) Append(e governor.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.Pools = append(governor.Costs(nil), e.Pools...) // the caller reuses it
	m.events = append(m.events, e)
}

func (m *memStore) Durable(ctx context.Context, seq int64) error { return ctx.Err() }
func (m *memStore) SaveSnapshot(seq int64, data []byte)          {}
func (m *memStore) LoadSnapshot(ctx context.Context) (int64, []byte, error) {
	return 0, nil, nil
}
func (m *memStore) Replay(ctx context.Context, after int64, fn func(governor.Event) error) error {
	return nil
}
func (m *memStore) LastSeq(ctx context.Context) (int64, error) { return 0, nil }
func (m *memStore) Events(ctx context.Context, q governor.EventQuery) ([]governor.Event, error) {
	return m.all(), nil
}
func (m *memStore) Prune(ctx context.Context, before time.Time) (int64, error) { return 0, nil }
func (m *memStore) Ping(ctx context.Context) error                             { return nil }

func (m *memStore) all() []governor.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]governor.Event(nil), m.events...)
}

// ofType returns the events of type typ.
func (m *memStore) ofType(typ governor.EventType) []governor.Event {
	var out []governor.Event
	for _, e := range m.all() {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// clock is a settable clock; sleeping on it advances it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
