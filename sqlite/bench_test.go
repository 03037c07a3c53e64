package sqlite_test

import (
	"context"
	"testing"

	"github.com/ratelord/ratelord/sqlite"
)

// BenchmarkGroupCommit measures acknowledged grants: many goroutines each
// append an event and wait until it is durable, as the governor's callers
// do. One op is one acknowledged event.
func BenchmarkGroupCommit(b *testing.B) {
	for _, mode := range []string{sqlite.SyncFull, sqlite.SyncNormal} {
		b.Run("sync="+mode, func(b *testing.B) {
			db := MustOpen(b, TempPath(b), mode)
			q := &Sequencer{Store: db}
			ctx := context.Background()
			b.SetParallelism(32) // 32 waiters per CPU, like a busy daemon
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := db.Durable(ctx, q.Append()); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkAppend measures Append alone, without waiting: the cost the
// governor pays under its lock.
func BenchmarkAppend(b *testing.B) {
	db := MustOpen(b, TempPath(b), sqlite.SyncNormal)
	e := Grant(0)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.Seq++
		db.Append(e)
	}
	b.StopTimer()
	MustClose(b, db) // commits the queue outside the timing
}
