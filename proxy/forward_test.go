package proxy_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/proxy"
)

// githubPolicy is a GitHub upstream at url whose every path costs one
// request of github-core.
func githubPolicy(url string) string {
	return fmt.Sprintf(`
pools:
  github-core: {limit: 5000, window: 1h, algorithm: fixed, upstream: github}
upstreams:
  github:
    url: %s
    dialect: github
    token_env: GITHUB_TOKEN
    resources: {core: github-core}
    routes:
      - {path: /, pools: {github-core: 1}}
`, url)
}

// githubHeaders sets GitHub's rate-limit fields for remaining of 5000.
func githubHeaders(w http.ResponseWriter, remaining int) {
	w.Header().Set("X-Ratelimit-Limit", "5000")
	w.Header().Set("X-Ratelimit-Remaining", strconv.Itoa(remaining))
	w.Header().Set("X-Ratelimit-Used", strconv.Itoa(5000-remaining))
	w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(start.Add(time.Hour).Unix(), 10))
	w.Header().Set("X-Ratelimit-Resource", "core")
}

func TestGitHubForwardsAndObserves(t *testing.T) {
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		githubHeaders(w, 4000)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"number": 7}`)
	})
	// A base path, as GitHub Enterprise has (/api/v3).
	h := newHarness(t, githubPolicy(up.URL+"/api/v3"), map[string]string{"GITHUB_TOKEN": secret})

	resp, body := h.do("POST", "/proxy/github/repos/o/r%2Fx/issues?state=open&per_page=5", `{"title":"hi"}`, map[string]string{
		"Authorization":     "Bearer client-own-token",
		"X-Api-Key":         "client-key",
		"Ratelord-Identity": "ci-1",
		"Ratelord-Priority": "high",
		"Ratelord-Max-Wait": "1s",
		"Ratelord-Other":    "x",
		"X-Custom":          "yes",
		"Content-Type":      "application/json",
		"Connection":        "X-Hop",
		"X-Hop":             "dropped",
		"Accept-Encoding":   "br",
	})
	if resp.StatusCode != http.StatusCreated || string(body) != `{"number": 7}` {
		t.Fatalf("answer %d %q, want 201 and the upstream's body", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Ratelimit-Remaining") != "4000" {
		t.Errorf("the upstream's headers did not pass through: %v", resp.Header)
	}
	if resp.Header.Get(proxyWaited) != "" {
		t.Errorf("%s set on a request that did not wait", proxyWaited)
	}

	g := up.last()
	want := got{Method: "POST", Path: "/api/v3/repos/o/r/x/issues", RawPath: "/api/v3/repos/o/r%2Fx/issues",
		Query: "state=open&per_page=5", Host: strings.TrimPrefix(up.URL, "http://"), Body: `{"title":"hi"}`}
	if g.Method != want.Method || g.RawPath != want.RawPath || g.Query != want.Query || g.Host != want.Host || g.Body != want.Body {
		t.Errorf("upstream got %+v,\nwant %+v", g, want)
	}
	if a := g.Header.Get("Authorization"); a != "Bearer "+secret {
		t.Errorf("Authorization %q, want the injected token", a)
	}
	for _, k := range []string{"X-Api-Key", "Ratelord-Identity", "Ratelord-Priority", "Ratelord-Max-Wait", "Ratelord-Other", "X-Hop"} {
		if v, ok := g.Header[k]; ok {
			t.Errorf("upstream got %s: %q; it must be stripped", k, v)
		}
	}
	if ae := g.Header.Get("Accept-Encoding"); ae == "br" {
		t.Errorf("upstream got the client's Accept-Encoding %q; the transport negotiates its own", ae)
	}
	if g.Header.Get("X-Custom") != "yes" || g.Header.Get("Content-Type") != "application/json" {
		t.Errorf("end-to-end headers lost: %v", g.Header)
	}

	st := h.pool("github-core")
	if st.Observed == nil || st.Observed.Remaining != 4000 || st.Observed.Source != "proxy" || st.Observed.Status != 201 {
		t.Fatalf("observation %+v, want remaining 4000 from proxy, status 201", st.Observed)
	}
	if st.Remaining != 4000 || st.LeasesOpen != 0 {
		t.Errorf("pool remaining %d, leases open %d; want 4000 (the upstream's) and 0", st.Remaining, st.LeasesOpen)
	}
	grants, releases := h.store.OfType(governor.EventGrant), h.store.OfType(governor.EventRelease)
	if len(grants) != 1 || grants[0].Identity != "ci-1" || grants[0].Priority != "high" || len(releases) != 1 {
		t.Errorf("events: grants %+v, releases %+v; want one grant for ci-1 at high and its release", grants, releases)
	}
	h.srv.Close() // waits for the request's handler, and so its log line
	if logs := h.logs.String(); !strings.Contains(logs, "level=DEBUG msg=proxied") || strings.Contains(logs, "level=INFO") {
		t.Errorf("want one debug line per request and no info lines, got:\n%s", logs)
	}
}

const proxyWaited = "Ratelord-Waited-Ms"

func TestAnthropicKeyAndVersion(t *testing.T) {
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Anthropic-Ratelimit-Requests-Limit", "50")
		w.Header().Set("Anthropic-Ratelimit-Requests-Remaining", "20")
		w.Header().Set("Anthropic-Ratelimit-Requests-Reset", start.Add(time.Minute).Format(time.RFC3339))
		fmt.Fprint(w, `{"type":"message","usage":{"input_tokens":3,"output_tokens":4}}`)
	})
	h := newHarness(t, fmt.Sprintf(`
pools:
  claude-requests: {limit: 50, window: 1m, algorithm: bucket, upstream: anthropic}
upstreams:
  anthropic:
    url: %s
    dialect: anthropic
    token_env: ANTHROPIC_API_KEY
    resources: {requests: claude-requests}
    routes:
      - {path: /v1/messages, pools: {claude-requests: 1}}
`, up.URL), map[string]string{"ANTHROPIC_API_KEY": secret})

	resp, _ := h.do("POST", "/proxy/anthropic/v1/messages", `{"max_tokens":10}`, map[string]string{"Authorization": "Bearer mine"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	g := up.last()
	if g.Header.Get("X-Api-Key") != secret || g.Header.Get("Authorization") != "" {
		t.Errorf("x-api-key %q, Authorization %q: want the token in x-api-key only", g.Header.Get("X-Api-Key"), g.Header.Get("Authorization"))
	}
	if v := g.Header.Get("Anthropic-Version"); v != "2023-06-01" {
		t.Errorf("anthropic-version %q, want 2023-06-01 added", v)
	}
	if st := h.pool("claude-requests"); st.Observed == nil || st.Observed.Remaining != 20 {
		t.Errorf("observation %+v, want remaining 20", st.Observed)
	}

	h.do("POST", "/proxy/anthropic/v1/messages", `{}`, map[string]string{"Anthropic-Version": "2024-01-01"})
	if v := up.last().Header.Get("Anthropic-Version"); v != "2024-01-01" {
		t.Errorf("anthropic-version %q, want the client's own kept", v)
	}
}

func TestNoTokenEnvForwardsWithoutCredentials(t *testing.T) {
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {})
	h := newHarness(t, fmt.Sprintf(`
pools:
  open: {limit: 10, window: 1m}
upstreams:
  open:
    url: %s
    routes:
      - {path: /free, pools: {}}
      - {path: /, pools: {open: 1}}
`, up.URL), nil)
	for _, path := range []string{"/proxy/open/free/x", "/proxy/open/paid"} {
		resp, _ := h.do("GET", path, "", map[string]string{"Authorization": "Bearer ratelord-daemon-token"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", path, resp.StatusCode)
		}
		if a := up.last().Header.Get("Authorization"); a != "" {
			t.Errorf("%s: upstream got Authorization %q; the client's must never be forwarded", path, a)
		}
	}
	if st := h.pool("open"); st.Used != 1 || st.LeasesOpen != 0 {
		t.Errorf("pool used %d, leases %d; want 1 (only the priced route) and 0", st.Used, st.LeasesOpen)
	}
}

func TestBadRequests(t *testing.T) {
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {})
	h := newHarness(t, fmt.Sprintf(`
pools:
  tokens: {unit: tokens, limit: 1000, window: 1m}
upstreams:
  openai:
    url: %s
    dialect: openai
    token_env: OPENAI_API_KEY
    routes:
      - {path: /v1/chat/completions, pools: {tokens: estimate}}
`, up.URL), map[string]string{"OPENAI_API_KEY": secret}, func(p *proxy.Proxy) { p.MaxBody = 64 })

	cases := []struct {
		name, path, body string
		header           map[string]string
		status           int
		code, says       string
	}{
		{"unknown upstream", "/proxy/nope/x", "", nil, 404, "unknown_upstream", "one of the policy's upstreams: openai"},
		{"no upstream", "/proxy/", "", nil, 404, "unknown_upstream", "openai"},
		{"no route", "/proxy/openai/v1/models", "", nil, 404, "no_route", "the policy routes /v1/chat/completions"},
		{"route prefix is by segment", "/proxy/openai/v1/chat/completionsX", "", nil, 404, "no_route", "/v1/chat/completionsX"},
		{"dot segment", "/proxy/openai/v1/chat/completions/%2e%2e/%2e%2e/models", "", nil, 400, "invalid_request", ".. segment"},
		{"bad max wait", "/proxy/openai/v1/chat/completions", "{}", map[string]string{"Ratelord-Max-Wait": "ten seconds"}, 400, "invalid_request", "Ratelord-Max-Wait: bad duration"},
		{"negative max wait", "/proxy/openai/v1/chat/completions", "{}", map[string]string{"Ratelord-Max-Wait": "-1s"}, 400, "invalid_request", "negative"},
		{"bad priority", "/proxy/openai/v1/chat/completions", "{}", map[string]string{"Ratelord-Priority": "urgent"}, 400, "invalid_request", "use critical, high, normal or low"},
		{"bad lease ttl", "/proxy/openai/v1/chat/completions", "{}", map[string]string{"Ratelord-Lease-TTL": "48h"}, 400, "invalid_request", "between 1s and 24h"},
		{"long identity", "/proxy/openai/v1/chat/completions", "{}", map[string]string{"Ratelord-Identity": strings.Repeat("a", 300)}, 400, "invalid_request", "shorter name"},
		{"body too large", "/proxy/openai/v1/chat/completions", strings.Repeat("x", 65), nil, 413, "request_too_large", "larger than 64 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := h.do("POST", tc.path, tc.body, tc.header)
			e := mustError(t, resp, body, tc.status, tc.code)
			if !strings.Contains(e.Error.Message, tc.says) {
				t.Errorf("message %q does not say %q", e.Error.Message, tc.says)
			}
		})
	}
	if n := up.count(); n != 0 {
		t.Errorf("the upstream got %d requests, want none", n)
	}
	if n := len(h.store.OfType(governor.EventGrant)); n != 0 {
		t.Errorf("%d grants, want none", n)
	}
}
