package httpapi_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestObserveFromHeadersAndNumbers(t *testing.T) {
	t.Parallel()
	ts, _ := MustServerPolicy(t, `
pools:
  core: {limit: 5000, window: 1h, algorithm: fixed, upstream: github}
  p: {limit: 10, window: 1m}
upstreams:
  github:
    url: https://api.github.com
    dialect: github
    resources: {core: core}
`)
	reset := time.Now().Add(25 * time.Minute).Truncate(time.Second).UTC()
	resp, out := call(t, ts, "POST", "/v1/observe", `{"upstream":"github","status":200,"headers":{"x-ratelimit-limit":"5000","x-ratelimit-remaining":"4100","x-ratelimit-used":"900","x-ratelimit-reset":"`+strconv.FormatInt(reset.Unix(), 10)+`","x-ratelimit-resource":"core"}}`)
	if resp.StatusCode != 200 || out["observed"] != true {
		t.Fatalf("observe headers: %d %v", resp.StatusCode, out)
	}
	st := out["pools"].([]any)[0].(map[string]any)
	if st["pool"] != "core" || st["remaining"] != 4100.0 || st["reset_at"] != reset.Format(time.RFC3339) {
		t.Fatalf("core after observing: %v", st)
	}
	if obs := st["observed"].(map[string]any); obs["remaining"] != 4100.0 || obs["source"] != "observe" {
		t.Fatalf("observation shown: %v", obs)
	}
	resp, out = call(t, ts, "POST", "/v1/observe", `{"pool":"p","remaining":2}`)
	if resp.StatusCode != 200 || out["pools"].([]any)[0].(map[string]any)["remaining"] != 2.0 {
		t.Fatalf("observe numbers: %d %v", resp.StatusCode, out)
	}
	call(t, ts, "POST", "/v1/observe", `{"pool":"p","status":429,"retry_after":"30s"}`)
	resp, out = call(t, ts, "POST", "/v1/acquire", `{"pool":"p"}`)
	if resp.StatusCode != 429 || out["reason"] != "upstream_limited" {
		t.Fatalf("acquire during a hold: %d %v", resp.StatusCode, out)
	}
	for _, tc := range []struct {
		body, code string
		status     int
	}{
		{`{"upstream":"gitlab","headers":{}}`, "unknown_upstream", 404},
		{`{"pool":"nope","remaining":1}`, "unknown_pool", 404},
		{`{"pool":"p","upstream":"github"}`, "invalid_request", 400},
		{`{"pool":"p","remaining":-3}`, "invalid_request", 400},
		{`{"pool":"p","retry_after":"soon"}`, "invalid_request", 400},
		{`{}`, "invalid_request", 400},
	} {
		resp, out := call(t, ts, "POST", "/v1/observe", tc.body)
		if code, msg := errCode(out); resp.StatusCode != tc.status || code != tc.code || strings.TrimSpace(msg) == "" {
			t.Errorf("%s: %d %s, want %d %s", tc.body, resp.StatusCode, code, tc.status, tc.code)
		}
	}
}
