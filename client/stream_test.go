package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratelord/ratelord/client"
	"github.com/ratelord/ratelord/httpapi/apitest"
)

// followTimeout bounds every wait on followed events.
const followTimeout = 20 * time.Second

// daemon is a real API server over a governor and a SQLite store.
type daemon struct {
	ts *httptest.Server
	c  *client.Client
	// fail503 answers this many event streams with 503 before passing
	// them on.
	fail503 atomic.Int32
	mu      sync.Mutex
	lastIDs []string // Last-Event-ID of every stream request, "" if none
}

// MustRealDaemon starts the real API with a short stream poll, and a Client
// for it that sends token.
func MustRealDaemon(tb testing.TB, token string) *daemon {
	tb.Helper()
	st := apitest.Start(tb, "pools:\n  p: {limit: 1000, window: 1m}\n")
	st.API.AuthToken, st.API.StreamPoll = token, 5*time.Millisecond
	api := st.API
	d := &daemon{}
	h := api.Handler()
	d.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("follow") != "" {
			d.mu.Lock()
			d.lastIDs = append(d.lastIDs, r.Header.Get("Last-Event-ID"))
			d.mu.Unlock()
			if d.fail503.Add(-1) >= 0 {
				http.Error(w, "try later", http.StatusServiceUnavailable)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(d.ts.Close)
	d.c = client.New(d.ts.URL)
	d.c.Token = token
	// No connection reuse: a test may drop every connection at any time.
	d.c.HTTP = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	return d
}

// grant acquires one unit of p for identity, n times.
func (d *daemon) grant(tb testing.TB, identity string, n int) {
	tb.Helper()
	for range n {
		if _, err := d.c.Acquire(context.Background(), client.AcquireRequest{Pool: "p", Identity: identity}); err != nil {
			tb.Fatal(err)
		}
	}
}

// follower runs Follow in the background and hands over what it gets.
type follower struct {
	events chan client.Event
	done   chan error
	cancel context.CancelFunc
}

// startFollow starts c.Follow(q); its callback passes each event on.
func startFollow(tb testing.TB, c *client.Client, q client.EventQuery) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{events: make(chan client.Event, 1000), done: make(chan error, 1), cancel: cancel}
	tb.Cleanup(func() { cancel(); <-f.done })
	go func() {
		f.done <- c.Follow(ctx, q, func(e client.Event) error {
			f.events <- e
			return nil
		})
	}()
	return f
}

// take waits for the next n events and checks that they follow after.
func (f *follower) take(tb testing.TB, n int, after int64) []client.Event {
	tb.Helper()
	out := make([]client.Event, n)
	for i := range out {
		select {
		case out[i] = <-f.events:
		case err := <-f.done:
			tb.Fatalf("Follow returned %v after %d of %d events", err, i, n)
		case <-time.After(followTimeout):
			tb.Fatalf("no event %d of %d within %s", i+1, n, followTimeout)
		}
		if want := after + int64(i) + 1; out[i].Seq != want {
			tb.Fatalf("event %d of %d has seq %d, want %d", i+1, n, out[i].Seq, want)
		}
	}
	return out
}

func TestFollowBacklogThenNewEvents(t *testing.T) {
	t.Parallel()
	d := MustRealDaemon(t, "")
	d.grant(t, "old", 3)
	var raw []string
	fc := client.New(d.ts.URL)
	fc.OnResponse = func(method, path string, status int, body []byte) {
		raw = append(raw, string(body)) // in Follow's goroutine, before the callback
	}
	f := startFollow(t, fc, client.EventQuery{After: 1, Identity: "old"})
	f.take(t, 2, 1)
	d.grant(t, "other", 1)
	d.grant(t, "old", 1)
	if e := f.take(t, 1, 4)[0]; e.Type != client.EventGrant || e.Identity != "old" || e.Pools["p"] != 1 || e.LeaseID == "" {
		t.Errorf("new event %+v, want the grant to old", e)
	}
	if len(raw) != 3 || !strings.Contains(raw[2], `"seq":5`) {
		t.Errorf("OnResponse saw %q, want each event's JSON", raw)
	}
}

func TestFollowResumesAfterDrop(t *testing.T) {
	t.Parallel()
	d := MustRealDaemon(t, "")
	f := startFollow(t, d.c, client.EventQuery{})
	d.grant(t, "a", 3)
	f.take(t, 3, 0)
	d.fail503.Store(2) // the daemon is briefly unavailable
	d.ts.CloseClientConnections()
	d.grant(t, "b", 3)
	if got := f.take(t, 3, 3); got[0].Identity != "b" {
		t.Errorf("after the drop came %+v", got[0])
	}
	d.mu.Lock()
	ids := strings.Join(d.lastIDs, ",")
	d.mu.Unlock()
	if ids != ",3,3,3" {
		t.Errorf("Last-Event-ID of the stream requests: %q, want none then 3 on each reconnect", ids)
	}
}

func TestFollowStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	d := MustRealDaemon(t, "")
	d.grant(t, "a", 2)
	stop := errors.New("enough")
	n := 0
	ctx, cancel := context.WithTimeout(context.Background(), followTimeout)
	defer cancel()
	err := d.c.Follow(ctx, client.EventQuery{}, func(client.Event) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("Follow = %v after %d events, want the callback's error after 1", err, n)
	}
}

func TestFollowErrorsAtOnce(t *testing.T) {
	t.Parallel()
	d := MustRealDaemon(t, "s3cret")
	noop := func(client.Event) error { return nil }
	var api *client.APIError
	err := d.c.Follow(context.Background(), client.EventQuery{Type: "grants"}, noop)
	if !errors.As(err, &api) || api.Status != 400 || !strings.Contains(api.Message, "type") {
		t.Errorf("bad type: %v, want a 400", err)
	}
	err = client.New(d.ts.URL).Follow(context.Background(), client.EventQuery{}, noop)
	if !errors.As(err, &api) || api.Status != 401 {
		t.Errorf("no token: %v, want a 401", err)
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	// Bounded, in case a parallel test's daemon took over the port.
	ctx, cancel := context.WithTimeout(context.Background(), followTimeout)
	defer cancel()
	if err := client.New(dead.URL).Follow(ctx, client.EventQuery{}, noop); err == nil || ctx.Err() != nil {
		t.Errorf("no daemon: Follow = %v, want the connection error at once", err)
	}
}

func TestFollowEndsWithContext(t *testing.T) {
	t.Parallel()
	d := MustRealDaemon(t, "")
	f := startFollow(t, d.c, client.EventQuery{})
	d.grant(t, "a", 1)
	f.take(t, 1, 0)
	f.cancel()
	select {
	case err := <-f.done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Follow = %v, want context.Canceled", err)
		}
		f.done <- err // for the cleanup
	case <-time.After(followTimeout):
		t.Fatal("Follow did not return after its context ended")
	}
}
