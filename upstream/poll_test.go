package upstream_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratelord/ratelord/upstream"
)

const token = "ghp_s3cretT0kenThatMustNeverLeak"

// step is one scripted answer of the fake GitHub.
type step func(w http.ResponseWriter, r *http.Request)

func ok200(tb testing.TB) step {
	body, err := os.ReadFile("testdata/rate_limit.json")
	if err != nil {
		tb.Fatal(err)
	}
	return func(w http.ResponseWriter, r *http.Request) { w.Write(body) }
}

func status(code int, headers ...string) step {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
		// A hostile or buggy server echoing the token must not leak it.
		w.Write([]byte(`{"message":"Bad credentials for ` + r.Header.Get("Authorization") + `"}`))
	}
}

func badJSON(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"resources":`)) }

// hangUp drops the connection halfway through the body. (Dropping it before
// any answer would make the transport retry the GET on its own.)
func hangUp(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"resources\""))
	conn.Close()
}

// fakeGitHub serves the steps in order, repeating the last one, and checks
// every request.
func fakeGitHub(t *testing.T, steps ...step) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/rate_limit" || r.Method != http.MethodGet {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+token {
			t.Errorf("Authorization = %q", got)
		}
		if got := r.Header.Get("Accept"); got != "application/vnd.github+json" {
			t.Errorf("Accept = %q", got)
		}
		mu.Lock()
		s := steps[min(n, len(steps)-1)]
		n++
		mu.Unlock()
		s(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var pollNow = time.Date(2023, 8, 9, 14, 0, 0, 0, time.UTC)

// newPoller returns a poller of srv that logs into buf.
func newPoller(srv *httptest.Server, buf *bytes.Buffer) *upstream.Poller {
	return &upstream.Poller{
		URL:    srv.URL + "/",
		Token:  token,
		Every:  time.Minute,
		Client: srv.Client(),
		Logger: slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return pollNow },
	}
}

func TestPollOnce(t *testing.T) {
	t.Parallel()
	srv := fakeGitHub(t, ok200(t))
	obs, err := newPoller(srv, &bytes.Buffer{}).PollOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if obs.Status != 200 || !obs.At.Equal(pollNow) || obs.Limited || len(obs.Dimensions) != 10 {
		t.Fatalf("got %+v", obs)
	}
	MustEqualDims(t, obs.Dimensions[3:4], []upstream.Dimension{dim("core", 5000, 4999, 1, time.Unix(1691591363, 0).UTC(), 0)})
}

func TestPollOnceErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		step   step
		status int
		want   string
	}{
		{"bad credentials", status(401), 401, "401 Unauthorized: Bad credentials for Bearer [REDACTED]"},
		{"server error", status(502), 502, "502 Bad Gateway"},
		{"secondary rate limit", status(403, "Retry-After", "60", "X-Ratelimit-Remaining", "0"), 403, "403 Forbidden"},
		{"bad JSON", badJSON, 200, "decode rate_limit body"},
		{"connection dropped", hangUp, 200, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeGitHub(t, tt.step)
			obs, err := newPoller(srv, &bytes.Buffer{}).PollOnce(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Fatalf("the token leaked into %q", err)
			}
			if obs.Status != tt.status || len(obs.Dimensions) != 0 {
				t.Fatalf("got %+v", obs)
			}
		})
	}
}

func TestPollOnceUnreachable(t *testing.T) {
	t.Parallel()
	srv := fakeGitHub(t, ok200(t))
	p := newPoller(srv, &bytes.Buffer{})
	srv.Close()
	obs, err := p.PollOnce(context.Background())
	if err == nil || strings.Contains(err.Error(), token) || obs.Status != 0 {
		t.Fatalf("got %+v, %v", obs, err)
	}
}

// runScript runs a poller against steps until it has slept len(steps)
// times, and returns the sleeps, the reports and the log.
func runScript(t *testing.T, steps ...step) (sleeps []time.Duration, reports []upstream.Observation, log string) {
	t.Helper()
	srv := fakeGitHub(t, steps...)
	var buf bytes.Buffer
	p := newPoller(srv, &buf)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		sleeps = append(sleeps, d)
		if len(sleeps) == len(steps) {
			cancel()
			return ctx.Err()
		}
		return nil
	}
	p.Report = func(o upstream.Observation) { reports = append(reports, o) }
	if err := p.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	return sleeps, reports, buf.String()
}

func TestRunBackoff(t *testing.T) {
	t.Parallel()
	every := time.Minute
	sleeps, reports, log := runScript(t,
		ok200(t), status(500), hangUp, badJSON, status(503), status(500), status(500),
		ok200(t), status(502), ok200(t))
	// Every×2^n capped at 10×Every, less up to 20% of jitter; Every after a success.
	want := []time.Duration{every, 2 * every, 4 * every, 8 * every, 10 * every, 10 * every, 10 * every, every, 2 * every, every}
	if len(sleeps) != len(want) {
		t.Fatalf("slept %v", sleeps)
	}
	for i, d := range sleeps {
		lo := want[i]
		if want[i] != every { // after a failure
			lo = want[i] - want[i]/5
		}
		if d < lo || d > want[i] {
			t.Fatalf("sleep %d = %v, want within [%v, %v]; all: %v", i, d, lo, want[i], sleeps)
		}
	}
	if len(reports) != 3 || len(reports[0].Dimensions) != 10 {
		t.Fatalf("got %d reports", len(reports))
	}
	if strings.Contains(log, token) {
		t.Fatalf("the token leaked into the log:\n%s", log)
	}
	if strings.Count(log, "level=WARN") != 7 || !strings.Contains(log, "poll recovered") || strings.Contains(log, "level=ERROR") {
		t.Fatalf("log:\n%s", log)
	}
}

func TestRunAuthErrorOncePerEpisode(t *testing.T) {
	t.Parallel()
	_, reports, log := runScript(t,
		status(401), status(401), status(403), ok200(t),
		status(403), status(401),
		status(403, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "1691591363"))
	if got := strings.Count(log, "level=ERROR"); got != 2 {
		t.Fatalf("%d errors logged, want 2 (one per episode):\n%s", got, log)
	}
	if strings.Contains(log, token) {
		t.Fatalf("the token leaked into the log:\n%s", log)
	}
	if !strings.Contains(log, "[REDACTED]") || len(reports) != 1 {
		t.Fatalf("%d reports; log:\n%s", len(reports), log)
	}
}

func TestRunHonorsRetryAfter(t *testing.T) {
	t.Parallel()
	sleeps, _, _ := runScript(t, status(429, "Retry-After", "3600"), ok200(t))
	if sleeps[0] != time.Hour || sleeps[1] != time.Minute {
		t.Fatalf("slept %v, want [1h0m0s 1m0s]", sleeps)
	}
}

func TestRunStopsWhileSleeping(t *testing.T) {
	t.Parallel()
	srv := fakeGitHub(t, ok200(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &upstream.Poller{URL: srv.URL, Token: token, Every: time.Hour, Client: srv.Client()}
	p.Report = func(upstream.Observation) { cancel() } // the default Sleep must notice
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run kept sleeping after ctx ended")
	}
}
