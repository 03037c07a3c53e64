package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeLog serves an audit log that tests may append to, and keeps the
// query of every request.
type fakeLog struct {
	mu      sync.Mutex
	events  []string // JSON objects; event i has seq i+1
	queries []url.Values
	polled  chan url.Values // every query, for tests that wait on them
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
	if l.polled != nil {
		select {
		case l.polled <- q:
		default: // nobody is listening any more
		}
	}
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

// followCLI runs "events --follow" with args until stdout holds mark, then
// interrupts it, and returns the exit code and stdout.
func followCLI(t *testing.T, u, mark string, args ...string) (int, string) {
	t.Helper()
	out := newReadyWriter(mark)
	var errb bytes.Buffer
	c, registered := signalCLI(u, out, &errb)
	go func() {
		sigs := <-registered
		<-out.ready
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
	l, u := newFakeLog(t, 5)
	code, out := followCLI(t, u, "lease=l5", "--after", "0", "--limit", "2")
	if code != exitOK || strings.Count(out, "\n") != 5 || !strings.HasPrefix(out, "1 ") {
		t.Errorf("exit %d, stdout:\n%s\nwant 0 and events 1 to 5", code, out)
	}
	var afters []string
	for _, q := range l.queries[:3] {
		afters = append(afters, q.Get("after"))
	}
	if strings.Join(afters, ",") != ",2,4" {
		t.Errorf("after= of the first polls: %q, want each page's next", afters)
	}
}

func TestEventsFollowStartsAtEnd(t *testing.T) {
	t.Parallel()
	l, u := newFakeLog(t, 3)
	l.polled = make(chan url.Values, 100)
	go func() {
		for q := range l.polled {
			if q.Get("after") == "3" { // caught up: something new happens
				l.add(1)
				return
			}
		}
	}()
	code, out := followCLI(t, u, "lease=l4")
	if code != exitOK || out != "4 2025-03-01T12:00:04.250Z grant a=1 b=2 lease=l4 identity=ci priority=normal\n" {
		t.Errorf("exit %d, stdout %q; want only the new event", code, out)
	}
	if q := l.queries[0]; q.Get("limit") != "10000" || q.Get("after") != "" {
		t.Errorf("first query %v: want a skip to the end", q)
	}
}

func TestEventsFollowJSONLines(t *testing.T) {
	t.Parallel()
	_, u := newFakeLog(t, 2)
	code, out := followCLI(t, u, `"l2"`, "--json", "--after", "0")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 2 {
		t.Fatalf("exit %d, stdout %q; want two JSON lines", code, out)
	}
	for _, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Errorf("line %q is not JSON", line)
		}
	}
}
