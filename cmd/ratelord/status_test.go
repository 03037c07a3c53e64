package main

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

const statusPools = `{"pools":[
 {"pool":"github-core","identity":"","unit":"requests","limit":5000,"window":"1h","algorithm":"fixed",
  "used":12,"remaining":4988,"reset_at":"2025-03-01T12:42:10Z","leases_open":3,"concurrency":100,"limits":[]},
 {"pool":"nightly","identity":"ci-7","unit":"","limit":100,"window":"24h0m0s","algorithm":"sliding",
  "used":100,"remaining":0,"reset_at":"2025-03-01T12:00:01.5Z","leases_open":0,"concurrency":0}]}`

const statusPool = `{"pool":"openai-requests","identity":"","unit":"requests","limit":500,"window":"1m",
 "algorithm":"bucket","used":20,"remaining":480,"reset_at":"2025-03-01T12:00:05Z","leases_open":2,"concurrency":0,
 "limits":[{"limit":500,"window":"1m","algorithm":"bucket","used":20,"remaining":480,"reset_at":"2025-03-01T12:00:05Z"},
  {"limit":10000,"window":"24h","algorithm":"sliding","used":900,"remaining":9100,"reset_at":"2025-03-01T20:00:00Z"}]}`

// statusAt runs status with the clock at 2025-03-01T12:00:00Z.
func statusAt(t *testing.T, url string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	c := newCLI(urlEnv(url), &out, &errb)
	c.now = func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }
	code := c.main(append([]string{"status"}, args...))
	return result{code, out.String(), errb.String()}
}

func TestStatusTable(t *testing.T) {
	t.Parallel()
	url, _ := MustDaemon(t, map[string]http.HandlerFunc{"GET /v1/pools": reply(200, statusPools)})
	r := statusAt(t, url)
	want := `POOL         IDENTITY  USED/LIMIT  REMAINING  UNIT      WINDOW  RESET IN  LEASES
github-core  -         12/5000     4988       requests  1h      42m10s    3/100
nightly      ci-7      100/100     0          -         24h     1.5s      0
`
	if r.code != exitOK || r.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", r.code, r.stdout, want, r.stderr)
	}
}

func TestStatusIdentityFilter(t *testing.T) {
	t.Parallel()
	url, _ := MustDaemon(t, map[string]http.HandlerFunc{"GET /v1/pools": reply(200, statusPools)})
	r := statusAt(t, url, "--identity", "ci-7")
	want := `POOL     IDENTITY  USED/LIMIT  REMAINING  UNIT  WINDOW  RESET IN  LEASES
nightly  ci-7      100/100     0          -     24h     1.5s      0
`
	if r.code != exitOK || r.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s", r.code, r.stdout, want)
	}
	r = statusAt(t, url, "--identity", "nobody")
	if r.code != exitOK || r.stdout != "no pools\n" {
		t.Errorf("exit %d, stdout %q, want no pools", r.code, r.stdout)
	}
}

func TestStatusOnePoolShowsLimits(t *testing.T) {
	t.Parallel()
	var identity string
	url, _ := MustDaemon(t, map[string]http.HandlerFunc{
		"GET /v1/pools/{name}": func(w http.ResponseWriter, r *http.Request) {
			identity = r.URL.Query().Get("identity")
			reply(200, statusPool)(w, r)
		},
	})
	r := statusAt(t, url, "openai-requests", "--identity", "agent-1")
	want := `POOL             IDENTITY  USED/LIMIT  REMAINING  UNIT      WINDOW  RESET IN  LEASES
openai-requests  -         20/500      480        requests  1m      5s        2

limits of openai-requests:
  LIMIT  WINDOW  ALGORITHM  USED  REMAINING  RESET IN
  500    1m      bucket     20    480        5s
  10000  24h     sliding    900   9100       8h
`
	if r.code != exitOK || r.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s", r.code, r.stdout, want)
	}
	if identity != "agent-1" {
		t.Errorf("identity sent = %q, want agent-1", identity)
	}
}

func TestStatusUnknownPool(t *testing.T) {
	t.Parallel()
	url, _ := MustDaemon(t, map[string]http.HandlerFunc{
		"GET /v1/pools/{name}": reply(404, `{"error":{"code":"unknown_pool","message":"no pool named \"nope\" (known: github-core)"}}`),
	})
	r := statusAt(t, url, "nope")
	want := "ratelord: get pool nope: unknown_pool: no pool named \"nope\" (known: github-core)\n"
	if r.code != exitError || r.stderr != want || r.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", r.code, r.stdout, r.stderr, want)
	}
}

func TestStatusJSONPrintsAnswer(t *testing.T) {
	t.Parallel()
	url, _ := MustDaemon(t, map[string]http.HandlerFunc{"GET /v1/pools": reply(200, statusPools)})
	r := statusAt(t, url, "--json")
	if r.code != exitOK || r.stdout != statusPools+"\n" {
		t.Errorf("exit %d, stdout:\n%s\nwant the daemon's answer", r.code, r.stdout)
	}
}
