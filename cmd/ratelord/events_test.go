package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeLog serves an audit log in pages, and keeps the
// query of every request.
type fakeLog struct {
	mu      sync.Mutex
	events  []string // JSON objects; event i has seq i+1
	queries []url.Values
}

func (l *fakeLog) add(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for range n {
		seq := len(l.events) + 1
		l.events = append(l.events, fmt.Sprintf(
			`{"seq":%d,"time":"2025-03-01T12:00:%02d.25Z","type":"grant","lease_id":"l%d","identity":"ci","priority":"normal","pools":{"b":2,"a":1}}`,
			seq, seq, seq))
	}
}

func (l *fakeLog) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, _ := strconv.Atoi(q.Get("after"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit == 0 {
		limit = 100
	}
	l.mu.Lock()
	l.queries = append(l.queries, q)
	page := l.events[min(after, len(l.events)):]
	page = page[:min(limit, len(page))]
	next := after + len(page)
	body := fmt.Sprintf(`{"events":[%s],"next":%d}`, strings.Join(page, ","), next)
	l.mu.Unlock()
	reply(200, body)(w, r)
}

func newFakeLog(t *testing.T, n int) (*fakeLog, string) {
	l := &fakeLog{}
	l.add(n)
	u, _ := MustDaemon(t, map[string]http.HandlerFunc{"GET /v1/events": l.serve})
	return l, u
}

func TestEventsPage(t *testing.T) {
	t.Parallel()
	l, u := newFakeLog(t, 3)
	r := runCLI(t, urlEnv(u), "events", "--pool", "a", "--identity", "ci", "--type", "grant", "--after", "1", "--limit", "1")
	want := "2 2025-03-01T12:00:02.250Z grant a=1 b=2 lease=l2 identity=ci priority=normal\n"
	if r.code != exitOK || r.stdout != want || r.stderr != "more: ratelord events --after 2\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want %q and a hint for the next page", r.code, r.stdout, r.stderr, want)
	}
	wantQ := url.Values{"pool": {"a"}, "identity": {"ci"}, "type": {"grant"}, "after": {"1"}, "limit": {"1"}}
	if got := l.queries[0]; fmt.Sprint(got) != fmt.Sprint(wantQ) {
		t.Errorf("query %v, want %v", got, wantQ)
	}
	r = runCLI(t, urlEnv(u), "events")
	if r.code != exitOK || strings.Count(r.stdout, "\n") != 3 || r.stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 3 lines, no hint", r.code, r.stdout, r.stderr)
	}
}

func TestEventsDenyLine(t *testing.T) {
	t.Parallel()
	u, _ := MustDaemon(t, map[string]http.HandlerFunc{"GET /v1/events": reply(200, `{"events":[{"seq":9,
		"time":"2025-03-01T12:00:00Z","type":"deny","identity":"x","pools":{"p":1},"reason":"quota_exhausted",
		"message":"p: 0 of 10 left"}],"next":9}`)})
	r := runCLI(t, urlEnv(u), "events")
	want := "9 2025-03-01T12:00:00.000Z deny p=1 identity=x reason=quota_exhausted message=\"p: 0 of 10 left\"\n"
	if r.code != exitOK || r.stdout != want {
		t.Errorf("exit %d, stdout %q; want %q", r.code, r.stdout, want)
	}
}

func TestEventsJSON(t *testing.T) {
	t.Parallel()
	const body = `{"events":[],"next":0}`
	u, _ := MustDaemon(t, map[string]http.HandlerFunc{"GET /v1/events": reply(200, body)})
	r := runCLI(t, urlEnv(u), "--json", "events")
	if r.code != exitOK || r.stdout != body+"\n" {
		t.Errorf("exit %d, stdout %q; want the answer", r.code, r.stdout)
	}
}
