package sqlite_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
)

// TestStore runs the governor.Store conformance suite against SQLite.
func TestStore(t *testing.T) {
	t.Parallel()
	RunStoreSuite(t, func(tb testing.TB) governor.Store { return MustOpen(tb, TempPath(tb), "") })
}

// RunStoreSuite checks the governor.Store contract; open returns a fresh,
// empty store that is closed when the test ends. It uses nothing but the
// interface, so that every store (SQLite, Redis) can run it.
func RunStoreSuite(t *testing.T, open func(testing.TB) governor.Store) {
	for name, fn := range map[string]func(*testing.T, governor.Store){
		"RoundTrip":   testRoundTrip,
		"Filters":     testFilters,
		"Paging":      testPaging,
		"Snapshot":    testSnapshot,
		"Replay":      testReplay,
		"Prune":       testPrune,
		"GroupCommit": testGroupCommit,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
		})
	}
}

// testRoundTrip checks that every field comes back as written, times in
// UTC and costs in their order.
func testRoundTrip(t *testing.T, s governor.Store) {
	full := governor.Event{
		Seq:      1,
		Time:     t0,
		Type:     governor.EventGrant,
		LeaseID:  governor.LeaseID(1),
		Identity: "agent \"7\" ✓",
		Priority: "high",
		Pools:    governor.Costs{{Pool: "openai-tokens", Units: 1500}, {Pool: "openai-requests", Units: 1}, {Pool: "a", Units: -3}},
		Reason:   "quota_exhausted",
		Message:  "line one\nline two",
		Expires:  t0.Add(5 * time.Minute),
	}
	bare := governor.Event{Seq: 2, Time: t0.Add(time.Second).UTC(), Type: governor.EventReload}
	MustAppend(t, s, full, bare)

	got := MustEvents(t, s, governor.EventQuery{})
	want := []governor.Event{full, bare}
	want[0].Time, want[0].Expires = want[0].Time.UTC(), want[0].Expires.UTC()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Events:\n got %+v\nwant %+v", got, want)
	}
	for _, e := range got {
		if e.Time.Location() != time.UTC {
			t.Errorf("event %d: time in %v, want UTC", e.Seq, e.Time.Location())
		}
	}
	// Replay skips what changes no state: the reload.
	if replayed := MustReplay(t, s, 0); !reflect.DeepEqual(replayed, want[:1]) {
		t.Fatalf("Replay:\n got %+v\nwant %+v", replayed, want[:1])
	}
	if last, err := s.LastSeq(context.Background()); err != nil || last != 2 {
		t.Fatalf("LastSeq = %d, %v; want 2", last, err)
	}
}

// testFilters checks each filter alone and combined; pool names that are
// prefixes of each other or contain LIKE wildcards must match exactly.
func testFilters(t *testing.T, s governor.Store) {
	ev := func(seq int64, typ governor.EventType, identity string, pools ...string) governor.Event {
		e := governor.Event{Seq: seq, Time: t0, Type: typ, Identity: identity}
		for _, p := range pools {
			e.Pools = append(e.Pools, governor.Cost{Pool: p, Units: 1})
		}
		return e
	}
	MustAppend(t, s,
		ev(1, governor.EventGrant, "a", "github-core"),
		ev(2, governor.EventDeny, "b", "github"),
		ev(3, governor.EventGrant, "b", "x_y", "github-core"),
		ev(4, governor.EventSettle, "a", "xzy"),
		ev(5, governor.EventReload, ""),
		ev(6, governor.EventGrant, "a", "github-core", "x_y"),
	)
	for _, tc := range []struct {
		name string
		q    governor.EventQuery
		want []int64
	}{
		{"all", governor.EventQuery{}, []int64{1, 2, 3, 4, 5, 6}},
		{"type", governor.EventQuery{Type: governor.EventGrant}, []int64{1, 3, 6}},
		{"identity", governor.EventQuery{Identity: "b"}, []int64{2, 3}},
		{"pool", governor.EventQuery{Pool: "github-core"}, []int64{1, 3, 6}},
		{"pool prefix", governor.EventQuery{Pool: "github"}, []int64{2}},
		{"pool wildcard", governor.EventQuery{Pool: "x_y"}, []int64{3, 6}},
		{"pool missing", governor.EventQuery{Pool: "git%"}, nil},
		{"combined", governor.EventQuery{Type: governor.EventGrant, Identity: "a", Pool: "x_y"}, []int64{6}},
		{"after", governor.EventQuery{After: 3, Identity: "a"}, []int64{4, 6}},
	} {
		got := Seqs(MustEvents(t, s, tc.q))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got seqs %v, want %v", tc.name, got, tc.want)
		}
	}
}

// testPaging pages through the log with After and Limit; Limit 0 means 100.
func testPaging(t *testing.T, s governor.Store) {
	MustAppend(t, s, Grants(1, 150)...)
	if got := MustEvents(t, s, governor.EventQuery{}); len(got) != 100 || got[0].Seq != 1 || got[99].Seq != 100 {
		t.Fatalf("default limit: got %d events %v..., want 1..100", len(got), Seqs(got[:min(3, len(got))]))
	}
	var all []int64
	after := int64(0)
	for {
		page := MustEvents(t, s, governor.EventQuery{After: after, Limit: 40})
		if len(page) == 0 {
			break
		}
		if len(page) > 40 {
			t.Fatalf("page after %d has %d events, want at most 40", after, len(page))
		}
		all = append(all, Seqs(page)...)
		after = page[len(page)-1].Seq
	}
	want := Seqs(Grants(1, 150))
	if !slices.Equal(all, want) {
		t.Fatalf("pages: got %v, want 1..150", all)
	}
}

// testSnapshot checks that the newest snapshot comes back.
func testSnapshot(t *testing.T, s governor.Store) {
	ctx := context.Background()
	if seq, data, err := s.LoadSnapshot(ctx); err != nil || seq != 0 || data != nil {
		t.Fatalf("empty LoadSnapshot = %d, %q, %v; want 0, nil, nil", seq, data, err)
	}
	MustAppend(t, s, Grants(1, 5)...)
	buf := []byte("state at 5")
	s.SaveSnapshot(5, buf)
	copy(buf, "XXXXX") // the store must have copied it
	MustAppend(t, s, Grants(6, 8)...)
	s.SaveSnapshot(8, []byte("state at 8"))
	MustAppend(t, s, Grant(9))
	seq, data, err := s.LoadSnapshot(ctx)
	if err != nil || seq != 8 || string(data) != "state at 8" {
		t.Fatalf("LoadSnapshot = %d, %q, %v; want 8, %q, nil", seq, data, err, "state at 8")
	}
}

// testReplay checks that Replay returns exactly the events after a seq,
// and stops at the callback's error.
func testReplay(t *testing.T, s governor.Store) {
	MustAppend(t, s, Grants(1, 10)...)
	s.SaveSnapshot(6, []byte("six"))
	MustAppend(t, s, Grant(11))
	seq, _, err := s.LoadSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Seqs(MustReplay(t, s, seq)), []int64{7, 8, 9, 10, 11}; !slices.Equal(got, want) {
		t.Fatalf("Replay(%d) = %v, want %v", seq, got, want)
	}
	if got := MustReplay(t, s, 11); len(got) != 0 {
		t.Fatalf("Replay(11) = %v, want nothing", Seqs(got))
	}
	stop := errors.New("stop")
	n := 0
	err = s.Replay(context.Background(), 0, func(governor.Event) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("Replay with a failing callback: err %v after %d calls, want %v after 3", err, n, stop)
	}
}

// testPrune checks that Prune deletes old events only up to the snapshot.
func testPrune(t *testing.T, s governor.Store) {
	ctx := context.Background()
	MustAppend(t, s, Grants(1, 10)...) // Grant(n) is at t0 + n minutes
	before := t0.Add(8*time.Minute + time.Second)
	if n, err := s.Prune(ctx, before); err != nil || n != 0 {
		t.Fatalf("Prune without a snapshot = %d, %v; want 0, nil", n, err)
	}
	s.SaveSnapshot(5, []byte("five"))
	MustAppend(t, s, Grant(11))
	if n, err := s.Prune(ctx, before); err != nil || n != 5 {
		t.Fatalf("Prune = %d, %v; want 5, nil", n, err)
	}
	if got, want := Seqs(MustReplay(t, s, 0)), []int64{6, 7, 8, 9, 10, 11}; !slices.Equal(got, want) {
		t.Fatalf("after Prune: seqs %v, want %v", got, want)
	}
	if n, err := s.Prune(ctx, before); err != nil || n != 0 {
		t.Fatalf("second Prune = %d, %v; want 0, nil", n, err)
	}
}

// testGroupCommit has 64 goroutines append and await Durable at once.
func testGroupCommit(t *testing.T, s governor.Store) {
	const goroutines, each = 64, 50
	q := &Sequencer{Store: s}
	errs := make(chan error, goroutines)
	for range goroutines {
		go func() {
			for range each {
				if err := s.Durable(context.Background(), q.Append()); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range goroutines {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got, want := Seqs(MustReplay(t, s, 0)), Seqs(Grants(1, goroutines*each)); !slices.Equal(got, want) {
		t.Fatalf("got %d events, want seqs 1..%d once each", len(got), goroutines*each)
	}
}
