package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ratelord/ratelord/client"
	"github.com/ratelord/ratelord/httpapi/apitest"
)

// realDaemon is the real API over a governor and a SQLite store.
type realDaemon struct {
	url string
	c   *client.Client
	// streams receives the query of every event stream request, if a test
	// listens; otherwise they are dropped.
	streams chan string
}

// MustRealDaemon starts the real API with a short stream poll.
func MustRealDaemon(tb testing.TB) *realDaemon {
	tb.Helper()
	st := apitest.Start(tb, "pools:\n  p: {limit: 1000, window: 1m}\n")
	st.API.StreamPoll = 5 * time.Millisecond
	api := st.API
	d := &realDaemon{streams: make(chan string, 10)}
	h := api.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("follow") != "" {
			select {
			case d.streams <- r.URL.RawQuery:
			default:
			}
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(ts.Close)
	d.url = ts.URL
	d.c = client.New(ts.URL)
	return d
}

// grant acquires one unit of p for identity, n times.
func (d *realDaemon) grant(tb testing.TB, identity string, n int) {
	tb.Helper()
	for range n {
		if _, err := d.c.Acquire(context.Background(), client.AcquireRequest{Pool: "p", Identity: identity}); err != nil {
			tb.Error(err) // not Fatal: tests call it from their own goroutines
		}
	}
}

// followTimeout bounds the wait for a followed event.
const followTimeout = 20 * time.Second

// followCLI runs "events --follow" with args until stdout holds mark (or
// followTimeout passed), then interrupts it, and returns the exit code and
// stdout.
func followCLI(t *testing.T, u, mark string, args ...string) (int, string) {
	t.Helper()
	out := newReadyWriter(mark)
	var errb bytes.Buffer
	c, registered := signalCLI(u, out, &errb)
	go func() {
		sigs := <-registered
		select {
		case <-out.ready:
		case <-time.After(followTimeout):
		}
		sigs <- os.Interrupt
	}()
	code := c.main(append([]string{"events", "--follow"}, args...))
	if errb.Len() > 0 {
		t.Errorf("stderr %q", errb.String())
	}
	return code, out.String()
}

func TestEventsFollowFromAfter(t *testing.T) {
	t.Parallel()
	d := MustRealDaemon(t)
	d.grant(t, "ci", 3)
	d.grant(t, "other", 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.grant(t, "ci", 1) // seq 5: whenever it comes, it follows the backlog
	}()
	code, out := followCLI(t, d.url, "\n5 ", "--after", "1", "--identity", "ci", "--limit", "1")
	<-done
	var seqs []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		seq, rest, _ := strings.Cut(line, " ")
		seqs = append(seqs, seq)
		if !strings.Contains(rest, " grant p=1 lease=") || !strings.HasSuffix(rest, " identity=ci priority=normal") {
			t.Errorf("line %q is not a grant line of ci", line)
		}
	}
	if code != exitOK || strings.Join(seqs, ",") != "2,3,5" {
		t.Errorf("exit %d, stdout:\n%s\nwant 0 and events 2, 3 and 5", code, out)
	}
}

func TestEventsFollowStartsAtEnd(t *testing.T) {
	t.Parallel()
	d := MustRealDaemon(t)
	d.grant(t, "old", 3)
	var q string
	done := make(chan struct{})
	go func() {
		defer close(done)
		select { // once the stream is open, something happens
		case q = <-d.streams:
		case <-time.After(followTimeout):
		}
		d.grant(t, "new", 1)
	}()
	code, out := followCLI(t, d.url, "identity=new")
	<-done
	if code != exitOK || !strings.HasPrefix(out, "4 ") || strings.Count(out, "\n") != 1 || !strings.Contains(q, "after=3") {
		t.Errorf("exit %d, stdout %q, stream query %q; want only the new event, after=3", code, out, q)
	}
}

func TestEventsFollowJSONLines(t *testing.T) {
	t.Parallel()
	d := MustRealDaemon(t)
	d.grant(t, "ci", 2)
	code, out := followCLI(t, d.url, `"seq":2`, "--json", "--after", "0")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 2 {
		t.Fatalf("exit %d, stdout %q; want two JSON lines", code, out)
	}
	for i, line := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil || e["seq"] != float64(i+1) || e["expires_at"] == nil {
			t.Errorf("line %q: want event %d as the daemon sent it (%v)", line, i+1, err)
		}
	}
}

func TestEventsFollowNoDaemon(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	c, registered := signalCLI(MustDeadURL(t), &out, &errb)
	finished := make(chan struct{})
	defer close(finished)
	go func() { // in case a parallel test's daemon took over the port
		select {
		case sigs := <-registered:
			select {
			case <-time.After(followTimeout):
				sigs <- os.Interrupt
			case <-finished:
			}
		case <-finished:
		}
	}()
	code := c.main([]string{"events", "--follow", "--after", "0"})
	if code != exitError || !strings.Contains(errb.String(), "cannot reach ratelord-d") {
		t.Errorf("exit %d, stderr %q; want 1 and a hint", code, errb.String())
	}
}
