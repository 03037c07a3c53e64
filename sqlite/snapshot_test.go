package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSnapshot_KeepsNewest checks that an older snapshot queued later does
// not replace a newer one, queued or stored.
func TestSnapshot_KeepsNewest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := MustOpen(t, TempPath(t), "")
	MustAppend(t, db, Grants(1, 8)...)
	db.SaveSnapshot(8, []byte("eight"))
	db.SaveSnapshot(7, []byte("seven")) // queued behind a newer one
	MustAppend(t, db, Grant(9))
	db.SaveSnapshot(6, []byte("six")) // older than the stored one
	MustAppend(t, db, Grant(10))
	if seq, data, err := db.LoadSnapshot(ctx); err != nil || seq != 8 || string(data) != "eight" {
		t.Fatalf("LoadSnapshot = %d, %q, %v; want 8, eight, nil", seq, data, err)
	}
}

// TestSnapshot_WaitsForEvents checks that a snapshot queued before its
// events is not written before them.
func TestSnapshot_WaitsForEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := MustOpen(t, TempPath(t), "")
	MustAppend(t, db, Grant(1))
	db.SaveSnapshot(3, []byte("three"))
	MustAppend(t, db, Grant(2))
	if seq, _, err := db.LoadSnapshot(ctx); err != nil || seq != 0 {
		t.Fatalf("LoadSnapshot before event 3 = %d, %v; want 0, nil", seq, err)
	}
	MustAppend(t, db, Grant(3), Grant(4))
	if seq, _, err := db.LoadSnapshot(ctx); err != nil || seq != 3 {
		t.Fatalf("LoadSnapshot after event 3 = %d, %v; want 3, nil", seq, err)
	}
}

// TestPrune_Batches prunes more than one batch while grants keep coming,
// then everything; LastSeq still counts the snapshot.
func TestPrune_Batches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const n = 25_000
	path := TempPath(t)
	db := MustOpen(t, path, "")
	MustAppend(t, db, Grants(1, n)...)
	db.SaveSnapshot(n, []byte("all"))
	MustClose(t, db) // writes the queued snapshot

	db = MustOpen(t, path, "")
	// Grants keep coming during the prune; they must not starve it, and
	// Prune must keep them: they are after the snapshot.
	stop, appended := make(chan struct{}), make(chan int64)
	go func() {
		q := &Sequencer{Store: db, Last: n}
		for {
			select {
			case <-stop:
				appended <- q.Last
				return
			default:
			}
			if err := db.Durable(ctx, q.Append()); err != nil {
				t.Error(err)
			}
		}
	}()
	deleted, err := db.Prune(ctx, t0.Add(1000*time.Hour))
	close(stop)
	last := <-appended
	if err != nil || deleted != n {
		t.Fatalf("Prune = %d, %v; want %d, nil", deleted, err, n)
	}
	if got := MustReplay(t, db, 0); int64(len(got)) != last-n {
		t.Fatalf("%d events left, want the %d appended during the prune", len(got), last-n)
	}
	db.SaveSnapshot(last, []byte("all"))
	MustClose(t, db)
	db = MustOpen(t, path, "")
	if _, err := db.Prune(ctx, t0.Add(1000*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := MustReplay(t, db, 0); len(got) != 0 {
		t.Fatalf("%d events left, want none", len(got))
	}
	if seq, err := db.LastSeq(ctx); err != nil || seq != last {
		t.Fatalf("LastSeq = %d, %v; want %d (the snapshot's)", seq, err, last)
	}
}

// TestPrune_Canceled checks that a canceled Prune stops and says why.
func TestPrune_Canceled(t *testing.T) {
	t.Parallel()
	db := MustOpen(t, TempPath(t), "")
	MustAppend(t, db, Grants(1, 3)...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Prune(ctx, time.Now()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Prune = %v, want context.Canceled", err)
	}
	if err := db.Durable(ctx, 4); !errors.Is(err, context.Canceled) {
		t.Fatalf("Durable of a seq never appended = %v, want context.Canceled", err)
	}
}
