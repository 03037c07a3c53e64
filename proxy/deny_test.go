package proxy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
)

// denial is the body of a denial answer.
type denial struct {
	Granted      bool                 `json:"granted"`
	Reason       string               `json:"reason"`
	Message      string               `json:"message"`
	RetryAfterMS int64                `json:"retry_after_ms"`
	Pools        []governor.PoolState `json:"pools"`
}

func mustDenial(t *testing.T, resp *http.Response, body []byte, reason string) denial {
	t.Helper()
	var d denial
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("denial body %q: %v", body, err)
	}
	if resp.StatusCode != http.StatusTooManyRequests || d.Granted || d.Reason != reason {
		t.Fatalf("got %d %+v, want 429 %s", resp.StatusCode, d, reason)
	}
	return d
}

func TestDenialAnswersWithoutCallingUpstream(t *testing.T) {
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {})
	h := newHarness(t, fmt.Sprintf(`
pools:
  gh-core: {limit: 2, window: 1h, algorithm: fixed}
  gh-points: {limit: 900, window: 1m}
upstreams:
  github:
    url: %s
    dialect: github
    token_env: GITHUB_TOKEN
    routes:
      - {path: /, pools: {gh-points: 5, gh-core: 1}}
`, up.URL), map[string]string{"GITHUB_TOKEN": secret})

	for range 2 {
		if resp, _ := h.do("POST", "/proxy/github/repos/o/r/issues", "{}", nil); resp.StatusCode != 200 {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
	}
	h.clock.Sleep(t.Context(), 10*time.Second)
	resp, body := h.do("POST", "/proxy/github/repos/o/r/issues", "{}", nil)
	d := mustDenial(t, resp, body, "quota_exhausted")
	if up.count() != 2 {
		t.Errorf("the upstream got %d requests, want 2: a denial must not reach it", up.count())
	}
	if got, want := resp.Header.Get("Retry-After"), "3590"; got != want {
		t.Errorf("Retry-After %q, want %q (to the fixed window's end)", got, want)
	}
	if d.RetryAfterMS != 3590_000 || len(d.Pools) != 2 || d.Pools[0].Pool != "gh-points" || d.Pools[1].Pool != "gh-core" {
		t.Errorf("denial %+v: want retry_after_ms 3590000 and both pools in route order", d)
	}
	if got, want := resp.Header.Get("RateLimit"), `"gh-points";r=890;t=50, "gh-core";r=0;t=3590`; got != want {
		t.Errorf("RateLimit %q, want %q", got, want)
	}
	if got, want := resp.Header.Get("RateLimit-Policy"), `"gh-points";q=900;w=60, "gh-core";q=2;w=3600`; got != want {
		t.Errorf("RateLimit-Policy %q, want %q", got, want)
	}
	if resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
}

func TestUpstream429HoldsThePool(t *testing.T) {
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		githubHeaders(w, 4000) // a secondary limit: quota left, but slow down
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"message":"API rate limit exceeded"}`)
	})
	h := newHarness(t, githubPolicy(up.URL), map[string]string{"GITHUB_TOKEN": secret})

	resp, body := h.do("GET", "/proxy/github/user", "", nil)
	if resp.StatusCode != http.StatusTooManyRequests || string(body) != `{"message":"API rate limit exceeded"}` || resp.Header.Get("Retry-After") != "30" {
		t.Fatalf("got %d %q Retry-After %q: want the upstream's 429 unchanged", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if resp.Header.Get("RateLimit") != "" {
		t.Errorf("the upstream's own 429 got ratelord's RateLimit header")
	}

	resp, body = h.do("GET", "/proxy/github/user", "", nil)
	d := mustDenial(t, resp, body, "upstream_limited")
	if up.count() != 1 {
		t.Errorf("the upstream got %d requests, want 1: a held pool must not reach it", up.count())
	}
	if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra < 30 || ra > 31 {
		t.Errorf("Retry-After %q, want the upstream's 30s (plus jitter)", resp.Header.Get("Retry-After"))
	}
	if d.Pools[0].HeldUntil == nil {
		t.Errorf("pool state %+v shows no hold", d.Pools[0])
	}
}

func TestWaitedHeader(t *testing.T) {
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {})
	h := newHarness(t, fmt.Sprintf(`
pools:
  slow: {limit: 1, window: 1s}
upstreams:
  slow:
    url: %s
    routes:
      - {path: /, pools: {slow: 1}}
`, up.URL), nil)
	if resp, _ := h.do("GET", "/proxy/slow/a", "", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp, body := h.do("GET", "/proxy/slow/a", "", nil)
	mustDenial(t, resp, body, "quota_exhausted")

	resp, _ = h.do("GET", "/proxy/slow/a", "", map[string]string{"Ratelord-Max-Wait": "5s"})
	if resp.StatusCode != 200 || resp.Header.Get("Ratelord-Waited-Ms") != "1000" {
		t.Errorf("got %d, Ratelord-Waited-Ms %q; want 200 after waiting 1000ms", resp.StatusCode, resp.Header.Get("Ratelord-Waited-Ms"))
	}
	if up.count() != 2 {
		t.Errorf("the upstream got %d requests, want 2", up.count())
	}
}
