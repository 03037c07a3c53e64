package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// call sends a request with the bearer token (when not empty) and returns
// the status and body.
func call(tb testing.TB, method, url, token, body string) (int, string) {
	tb.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}

// sample returns the value of the series written exactly as series (name
// and labels, as the text format writes them), and whether it is there.
func sample(body, series string) (float64, bool) {
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// TestMetricsOverHTTP starts the daemon with an auth token, spends quota
// over HTTP as two identities, reloads, and scrapes GET /metrics without
// the token: the counts are exact and no identity or lease id shows.
func TestMetricsOverHTTP(t *testing.T) {
	t.Parallel()
	const token = "metrics-test-token"
	dir := t.TempDir()
	cfg := filepath.Join(dir, "policy.yaml")
	writeFile(t, cfg, "pools:\n  p: {limit: 2, window: 1m}\n  q: {per: identity, limit: 1, window: 1m}\n  u: {limit: 10, window: 1m}\n")
	m := &Main{
		Config: Config{ConfigPath: cfg, DBPath: filepath.Join(dir, "r.db"), Addr: "127.0.0.1:0", Sync: "normal", Retention: time.Hour, LogLevel: "error", LogFormat: "text", AuthToken: token},
		Stderr: io.Discard,
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	base := "http://" + m.Addr()

	identities := []string{"secret-agent-7", "tenant-xyz"}
	var leases []string
	for i, want := range []int{200, 200, 429} {
		code, body := call(t, "POST", base+"/v1/acquire", token, `{"pool": "p", "identity": "secret-agent-7"}`)
		if code != want {
			t.Fatalf("acquire p #%d: %d %s, want %d", i, code, body, want)
		}
		var d struct {
			LeaseID string `json:"lease_id"`
		}
		json.Unmarshal([]byte(body), &d)
		if d.LeaseID != "" {
			leases = append(leases, d.LeaseID)
		}
	}
	for i, want := range []int{200, 429} {
		if code, body := call(t, "POST", base+"/v1/acquire", token, `{"pool": "q", "identity": "tenant-xyz"}`); code != want {
			t.Fatalf("acquire q #%d: %d %s, want %d", i, code, body, want)
		}
	}
	if code, body := call(t, "POST", base+"/v1/observe", token, `{"pool": "u", "identity": "tenant-xyz", "status": 429, "retry_after": "30s"}`); code != 200 {
		t.Fatalf("observe: %d %s", code, body)
	}
	if code, body := call(t, "POST", base+"/v1/reload", token, ""); code != 200 {
		t.Fatalf("reload: %d %s", code, body)
	}

	code, body := call(t, "GET", base+"/metrics", "", "")
	if code != 200 {
		t.Fatalf("GET /metrics without a token: %d, want 200 (it needs no auth)", code)
	}
	for series, want := range map[string]float64{
		`ratelord_decisions_total{pool="p",reason="",result="granted"}`:                        2,
		`ratelord_decisions_total{pool="p",reason="quota_exhausted",result="denied"}`:          1,
		`ratelord_decisions_total{pool="q",reason="",result="granted"}`:                        1,
		`ratelord_decisions_total{pool="q",reason="quota_exhausted",result="denied"}`:          1,
		`ratelord_acquire_duration_seconds_count`:                                              5,
		`ratelord_wait_duration_seconds_count`:                                                 0,
		`ratelord_pool_used{pool="p"}`:                                                         2,
		`ratelord_pool_remaining{pool="p"}`:                                                    0,
		`ratelord_pool_limit{pool="p"}`:                                                        2,
		`ratelord_pool_leases_open{pool="p"}`:                                                  2,
		`ratelord_pool_held{pool="u"}`:                                                         1,
		`ratelord_upstream_responses_total{code="429",pool="u",source="observe"}`:              1,
		`ratelord_upstream_holds_total{pool="u"}`:                                              1,
		`ratelord_reloads_total{result="success"}`:                                             1,
		`ratelord_reloads_total{result="failure"}`:                                             0,
		`ratelord_last_reload_successful`:                                                      1,
		`ratelord_store_commit_errors_total`:                                                   0,
		`ratelord_build_info{goversion="` + runtime.Version() + `",version="` + version + `"}`: 1,
	} {
		if got, ok := sample(body, series); !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	// Every acknowledged grant was committed before its answer.
	if got, _ := sample(body, "ratelord_store_commit_events_total"); got < 3 {
		t.Errorf("store_commit_events_total = %v, want at least the 3 grants", got)
	}
	if !strings.Contains(body, "\ngo_goroutines ") || !strings.Contains(body, "\nprocess_start_time_seconds ") {
		t.Error("the Go and process collectors are missing")
	}
	for _, secret := range append(append(identities, leases...), token) {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics shows %q: labels must never carry identities, lease ids or tokens", secret)
		}
	}
}
