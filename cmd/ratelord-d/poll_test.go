package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestGitHubPollingCorrectsMappedPools: a github upstream with `poll` reads
// GET /rate_limit with the token and corrects every mapped resource pool.
func TestGitHubPollingCorrectsMappedPools(t *testing.T) {
	t.Parallel()
	var auth atomic.Value
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/rate_limit" {
			http.NotFound(w, r)
			return
		}
		auth.Store(r.Header.Get("Authorization"))
		reset := time.Now().Add(20 * time.Minute).Unix()
		io.WriteString(w, `{"resources":{"core":{"limit":5000,"remaining":1200,"used":3800,"reset":`+itoa(reset)+`},`+
			`"search":{"limit":30,"remaining":4,"used":26,"reset":`+itoa(reset)+`}}}`)
	}))
	defer gh.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "policy.yaml")
	writeFile(t, cfg, `pools:
  github-core: {limit: 5000, window: 1h, algorithm: fixed, upstream: github}
  github-search: {limit: 30, window: 1m, algorithm: fixed, upstream: github}
upstreams:
  github:
    url: `+gh.URL+`
    dialect: github
    token_env: GH_TEST_TOKEN
    poll: 1s
    resources: {core: github-core, search: github-search}
`)
	m := &Main{
		Config: Config{ConfigPath: cfg, DBPath: filepath.Join(dir, "r.db"), Addr: "127.0.0.1:0", Sync: "normal", Retention: time.Hour, LogLevel: "warn", LogFormat: "text"},
		Stderr: io.Discard,
		Getenv: func(k string) string {
			if k == "GH_TEST_TOKEN" {
				return "ghp-test-value"
			}
			return ""
		},
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		core, _ := m.Governor.Pool("github-core", "")
		search, _ := m.Governor.Pool("github-search", "")
		if core.Remaining == 1200 && search.Remaining == 4 {
			if core.Observed == nil || core.Observed.Source != "poll" {
				t.Fatalf("observation not shown: %+v", core.Observed)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pools not corrected by polling: core %+v, search %+v", core, search)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := auth.Load(); got != "Bearer ghp-test-value" {
		t.Fatalf("poll sent Authorization %q", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
