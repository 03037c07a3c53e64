package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTokenNeverLeaves runs the daemon with a proxied upstream through every
// path (grant, upstream 429, denial, missing token, upstream down), then
// greps the token's value in the logs (at debug), the audit log, the pools,
// the metrics and every answer the client saw.
func TestTokenNeverLeaves(t *testing.T) {
	t.Parallel()
	const secret = "ghp_TOPSECRET_0123456789"
	var hits int
	var mu sync.Mutex
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		n := hits
		mu.Unlock()
		w.Header().Set("X-Echo", r.Header.Get("Authorization")) // a careless upstream
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "4000")
		if n == 2 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"message":"slow down, `+r.Header.Get("Authorization")+`"}`)
			return
		}
		io.WriteString(w, `{"you_sent":"`+r.Header.Get("Authorization")+`"}`)
	}))
	defer gh.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "policy.yaml")
	writeFile(t, cfg, `pools:
  gh: {limit: 3, window: 1h, upstream: github}
  other: {limit: 100, window: 1h}
upstreams:
  github: {url: `+gh.URL+`, dialect: github, token_env: GH_TOKEN_T, routes: [{path: /, pools: {gh: 1}}]}
  notoken: {url: `+gh.URL+`, dialect: github, token_env: UNSET_TOKEN_T, routes: [{path: /, pools: {other: 1}}]}
  down: {url: `+down.URL+`, dialect: github, token_env: GH_TOKEN_T, routes: [{path: /, pools: {other: 1}}]}
`)
	var logs bytes.Buffer
	var logMu sync.Mutex
	m := &Main{
		Config: Config{ConfigPath: cfg, DBPath: filepath.Join(dir, "r.db"), Addr: "127.0.0.1:0", Sync: "normal", Retention: time.Hour, LogLevel: "debug", LogFormat: "json"},
		Stderr: writerFunc(func(p []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return logs.Write(p) }),
		Getenv: func(k string) string {
			if k == "GH_TOKEN_T" {
				return secret
			}
			return ""
		},
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	base := "http://" + m.Addr()
	var seen strings.Builder
	get := func(method, path string) int {
		req, _ := http.NewRequest(method, base+path, nil)
		req.Header.Set("Authorization", "Bearer client-own-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		resp.Header.Write(&seen)
		seen.Write(body)
		return resp.StatusCode
	}
	codes := []int{
		get("GET", "/proxy/github/user"), // granted, forwarded
		get("GET", "/proxy/github/user"), // the upstream's 429 passes through
		get("GET", "/proxy/github/user"), // held: denied by ratelord
		get("GET", "/proxy/notoken/x"),   // token variable unset
		get("GET", "/proxy/down/x"),      // upstream down
		get("GET", "/proxy/nowhere/x"),   // unknown upstream
		get("GET", "/v1/pools"),          // what the API shows
		get("GET", "/v1/events?limit=10000"),
		get("GET", "/metrics"),
	}
	want := []int{200, 429, 429, 502, 502, 404, 200, 200, 200}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("answers %v, want %v\n%s", codes, want, seen.String())
		}
	}
	mu.Lock()
	if hits != 2 {
		t.Fatalf("the upstream saw %d requests, want 2 (the held request must not reach it)", hits)
	}
	mu.Unlock()
	m.Close()
	logMu.Lock()
	defer logMu.Unlock()
	for what, text := range map[string]string{"logs": logs.String(), "answers": seen.String()} {
		if strings.Contains(text, secret) {
			t.Errorf("the token appears in the %s", what)
		}
	}
	if !strings.Contains(seen.String(), "UNSET_TOKEN_T") {
		t.Errorf("the missing-token answer does not name the variable:\n%s", seen.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
