package governor_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/governor/governortest"
	"github.com/ratelord/ratelord/policy"
)

// start is a fixed, epoch-aligned instant tests start at.
var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// MustGovernor opens a governor over a policy given as YAML, with a fake
// clock whose Sleep advances the clock (a waiter "sleeps" instantly).
func MustGovernor(tb testing.TB, yaml string, store *governortest.MemStore) (*governor.Governor, *governortest.Clock) {
	tb.Helper()
	p, err := policy.Parse("test.yaml", []byte(yaml))
	if err != nil {
		tb.Fatalf("parse policy: %v", err)
	}
	if store == nil {
		store = &governortest.MemStore{}
	}
	c := governortest.NewClock(start)
	g := &governor.Governor{Store: store, Policy: p, Now: c.Now, Sleep: c.Sleep, Logger: slog.New(slog.DiscardHandler)}
	if err := g.Open(context.Background()); err != nil {
		tb.Fatalf("open governor: %v", err)
	}
	return g, c
}
