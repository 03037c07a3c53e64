package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ratelord/ratelord/httpapi"
	"github.com/ratelord/ratelord/httpapi/apitest"
)

const testPolicy = `
pools:
  p: {limit: 2, window: 1m}
  q: {limit: 10, window: 1m, reserve: {low: 50%}}
  tok: {unit: tokens, limit: 1000, window: 1m, algorithm: bucket}
`

// MustServer starts the API over a real governor and SQLite store.
func MustServer(tb testing.TB, token string) (*httptest.Server, *httpapi.Server) {
	tb.Helper()
	return mustServer(tb, token, testPolicy)
}

// MustServerPolicy is MustServer with a policy of the test's own.
func MustServerPolicy(tb testing.TB, yaml string) (*httptest.Server, *httpapi.Server) {
	tb.Helper()
	return mustServer(tb, "", yaml)
}

func mustServer(tb testing.TB, token, yaml string) (*httptest.Server, *httpapi.Server) {
	tb.Helper()
	st := apitest.Start(tb, yaml)
	st.API.AuthToken = token
	ts := httptest.NewServer(st.API.Handler())
	tb.Cleanup(ts.Close)
	return ts, st.API
}

// call sends a request and decodes the JSON answer.
func call(tb testing.TB, ts *httptest.Server, method, path, body string, hdr ...string) (*http.Response, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("%s %s: content type %q, body %s", method, path, ct, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("%s %s: not JSON: %s", method, path, raw)
	}
	return resp, out
}

func errCode(out map[string]any) (string, string) {
	e, _ := out["error"].(map[string]any)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	return code, msg
}

func TestBadInputIsAClear4xx(t *testing.T) {
	t.Parallel()
	ts, _ := MustServer(t, "")
	cases := []struct {
		name, method, path, body string
		status                   int
		code, mentions           string
	}{
		{"unknown pool", "POST", "/v1/acquire", `{"pool":"nope"}`, 404, "unknown_pool", `"nope"`},
		{"malformed JSON", "POST", "/v1/acquire", `{"pool":`, 400, "invalid_request", "malformed JSON"},
		{"not an object", "POST", "/v1/acquire", `[1]`, 400, "invalid_request", "must be"},
		{"empty body", "POST", "/v1/acquire", ``, 400, "invalid_request", "empty"},
		{"trailing data", "POST", "/v1/acquire", `{"pool":"p"} {}`, 400, "invalid_request", "one JSON object"},
		{"unknown field", "POST", "/v1/acquire", `{"pool":"p","cots":1}`, 400, "invalid_request", `"cots"`},
		{"negative cost", "POST", "/v1/acquire", `{"pool":"p","cost":-1}`, 400, "invalid_request", "0 or more"},
		{"fractional cost", "POST", "/v1/acquire", `{"pool":"p","cost":1.5}`, 400, "invalid_request", "cost"},
		{"cost over limit", "POST", "/v1/acquire", `{"pool":"p","cost":3}`, 400, "invalid_request", "can ever grant"},
		{"cost over priority share", "POST", "/v1/acquire", `{"pool":"q","cost":6,"priority":"low"}`, 400, "invalid_request", "reserved"},
		{"unknown priority", "POST", "/v1/acquire", `{"pool":"p","priority":"urgent"}`, 400, "invalid_request", "priority"},
		{"bad max_wait", "POST", "/v1/acquire", `{"pool":"p","max_wait":"10 seconds"}`, 400, "invalid_request", "max_wait"},
		{"negative max_wait", "POST", "/v1/acquire", `{"pool":"p","max_wait":"-1s"}`, 400, "invalid_request", "negative"},
		{"bad lease_ttl", "POST", "/v1/acquire", `{"pool":"p","lease_ttl":"forever"}`, 400, "invalid_request", "lease_ttl"},
		{"pool and pools", "POST", "/v1/acquire", `{"pool":"p","pools":{"q":1}}`, 400, "invalid_request", "not both"},
		{"no pool", "POST", "/v1/acquire", `{"cost":1}`, 400, "invalid_request", "name a pool"},
		{"pools not numbers", "POST", "/v1/acquire", `{"pools":{"p":"x"}}`, 400, "invalid_request", "whole number"},
		{"settle unknown lease", "POST", "/v1/leases/l_x/settle", `{"cost":1}`, 404, "unknown_lease", "l_x"},
		{"settle unknown field", "POST", "/v1/leases/l_x/settle", `{"costs":1}`, 400, "invalid_request", "costs"},
		{"release unknown lease", "DELETE", "/v1/leases/l_x", ``, 404, "unknown_lease", "l_x"},
		{"unknown pool state", "GET", "/v1/pools/nope", ``, 404, "unknown_pool", "nope"},
		{"events bad after", "GET", "/v1/events?after=x", ``, 400, "invalid_request", "after"},
		{"events bad limit", "GET", "/v1/events?limit=10001", ``, 400, "invalid_request", "1 to 10000"},
		{"events bad type", "GET", "/v1/events?type=grants", ``, 400, "invalid_request", "type"},
		{"unknown endpoint", "GET", "/v2/nothing", ``, 404, "not_found", "/v2/nothing"},
		{"wrong method", "GET", "/v1/acquire", ``, 405, "method_not_allowed", "POST"},
	}
	for _, tc := range cases {
		resp, out := call(t, ts, tc.method, tc.path, tc.body)
		code, msg := errCode(out)
		if resp.StatusCode != tc.status || code != tc.code || !strings.Contains(msg, tc.mentions) {
			t.Errorf("%s: %d %s %q, want %d %s mentioning %q", tc.name, resp.StatusCode, code, msg, tc.status, tc.code, tc.mentions)
		}
	}
}

func TestAcquireGrantDenySettleRelease(t *testing.T) {
	t.Parallel()
	ts, _ := MustServer(t, "")
	resp, out := call(t, ts, "POST", "/v1/acquire", `{"pool":"p","identity":"ci","priority":"high"}`)
	if resp.StatusCode != 200 || out["granted"] != true || out["lease_id"] == "" {
		t.Fatalf("grant: %d %v", resp.StatusCode, out)
	}
	lease := out["lease_id"].(string)
	pools := out["pools"].([]any)
	st := pools[0].(map[string]any)
	if st["pool"] != "p" || st["used"] != 1.0 || st["remaining"] != 1.0 || st["limit"] != 2.0 || st["window"] != "1m" {
		t.Fatalf("pool state in grant: %v", st)
	}
	call(t, ts, "POST", "/v1/acquire", `{"pool":"p"}`)
	resp, out = call(t, ts, "POST", "/v1/acquire", `{"pool":"p"}`)
	if resp.StatusCode != 429 || out["granted"] != false || out["reason"] != "quota_exhausted" {
		t.Fatalf("denial: %d %v", resp.StatusCode, out)
	}
	ms := out["retry_after_ms"].(float64)
	if ms <= 59000 || ms > 60000 || resp.Header.Get("Retry-After") != "60" {
		t.Fatalf("retry_after_ms %v, Retry-After %q", ms, resp.Header.Get("Retry-After"))
	}
	resp, out = call(t, ts, "POST", "/v1/leases/"+lease+"/settle", `{"cost":0}`)
	if resp.StatusCode != 200 || out["settled"] != true {
		t.Fatalf("settle: %d %v", resp.StatusCode, out)
	}
	resp, out = call(t, ts, "POST", "/v1/acquire", `{"pool":"p"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("after a refund: %d %v", resp.StatusCode, out)
	}
	resp, _ = call(t, ts, "POST", "/v1/leases/"+lease+"/settle", `{"cost":0}`)
	if resp.StatusCode != 404 {
		t.Fatalf("settling a closed lease: %d", resp.StatusCode)
	}
	_, out = call(t, ts, "GET", "/v1/events?type=grant&limit=2", "")
	evs := out["events"].([]any)
	if len(evs) != 2 || evs[0].(map[string]any)["lease_id"] != lease || out["next"] != evs[1].(map[string]any)["seq"] {
		t.Fatalf("events: %v", out)
	}
	first := evs[0].(map[string]any)
	if first["identity"] != "ci" || first["priority"] != "high" || first["pools"].(map[string]any)["p"] != 1.0 {
		t.Fatalf("grant event: %v", first)
	}
}

func TestMultiPoolAcquireAndSettlePerPool(t *testing.T) {
	t.Parallel()
	ts, _ := MustServer(t, "")
	resp, out := call(t, ts, "POST", "/v1/acquire", `{"pools":{"q":1,"tok":800}}`)
	if resp.StatusCode != 200 {
		t.Fatalf("grant: %d %v", resp.StatusCode, out)
	}
	lease := out["lease_id"].(string)
	resp, out = call(t, ts, "POST", "/v1/leases/"+lease+"/settle", `{"cost":5}`)
	if resp.StatusCode != 400 {
		t.Fatalf("single cost on a multi-pool lease: %d %v", resp.StatusCode, out)
	}
	call(t, ts, "POST", "/v1/leases/"+lease+"/settle", `{"pools":{"tok":120}}`)
	_, st := call(t, ts, "GET", "/v1/pools/tok", "")
	if st["used"] != 120.0 {
		t.Fatalf("tok after settle: %v", st)
	}
	_, st = call(t, ts, "GET", "/v1/pools/q", "")
	if st["used"] != 1.0 {
		t.Fatalf("q keeps its charge: %v", st)
	}
}

func TestAuthToken(t *testing.T) {
	t.Parallel()
	ts, _ := MustServer(t, "s3cret")
	resp, out := call(t, ts, "GET", "/v1/pools", "")
	if code, _ := errCode(out); resp.StatusCode != 401 || code != "unauthorized" {
		t.Fatalf("no token: %d %v", resp.StatusCode, out)
	}
	if resp, _ := call(t, ts, "GET", "/v1/pools", "", "Authorization", "Bearer s3cret"); resp.StatusCode != 200 {
		t.Fatalf("with token: %d", resp.StatusCode)
	}
	if resp, _ := call(t, ts, "GET", "/healthz", ""); resp.StatusCode != 200 {
		t.Fatalf("healthz needs no token: %d", resp.StatusCode)
	}
}

func TestReadyzTurns503WhenShuttingDown(t *testing.T) {
	t.Parallel()
	ts, api := MustServer(t, "")
	if resp, out := call(t, ts, "GET", "/readyz", ""); resp.StatusCode != 200 || out["status"] != "ready" {
		t.Fatalf("readyz: %d %v", resp.StatusCode, out)
	}
	api.SetShuttingDown()
	if resp, _ := call(t, ts, "GET", "/readyz", ""); resp.StatusCode != 503 {
		t.Fatalf("readyz while stopping: %d", resp.StatusCode)
	}
	if resp, _ := call(t, ts, "POST", "/v1/acquire", `{"pool":"p"}`); resp.StatusCode != 503 {
		t.Fatalf("acquire while stopping: %d", resp.StatusCode)
	}
}
