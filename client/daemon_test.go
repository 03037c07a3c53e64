package client_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratelord/ratelord/client"
	"github.com/ratelord/ratelord/httpapi/apitest"
)

// daemonPolicy is the policy of the in-process daemon the Transport and
// Observe tests run against.
const daemonPolicy = `
pools:
  p: {limit: 3, window: 1m}
  one: {limit: 1, window: 1m}
  slow: {limit: 1, window: 300ms}
  ids: {per: identity, limit: 10, window: 1m}
  tok: {unit: tokens, limit: 10000, window: 1m}
  gh: {limit: 5000, window: 1h, algorithm: fixed, upstream: github}
upstreams:
  github:
    url: https://api.github.com
    dialect: github
    resources: {core: gh}
    routes:
      - {path: /, pools: {gh: 1}}
`

// MustDaemon starts a real ratelord-d in process (policy, SQLite in a temp
// dir, governor, HTTP API) and returns a Client for it.
func MustDaemon(tb testing.TB) *client.Client {
	tb.Helper()
	ts := httptest.NewServer(apitest.Start(tb, daemonPolicy).API.Handler())
	tb.Cleanup(ts.Close)
	return client.New(ts.URL)
}

// Upstream is a fake API that speaks GitHub's rate-limit headers:
//
//	/core     200, x-ratelimit-remaining: Remaining (resource core)
//	/limited  429 with Retry-After: 30 and no x-ratelimit-* (a secondary limit)
//	/usage    200, {"usage": {"total_tokens": 123}}
//	/echo     200, the request body
type Upstream struct {
	URL       string
	Remaining atomic.Int64 // what /core reports
	Hits      atomic.Int64 // requests served
}

// MustUpstream starts the fake upstream.
func MustUpstream(tb testing.TB) *Upstream {
	tb.Helper()
	u := &Upstream{}
	u.Remaining.Store(4000)
	mux := http.NewServeMux()
	mux.HandleFunc("/core", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("x-ratelimit-limit", "5000")
		h.Set("x-ratelimit-remaining", strconv.FormatInt(u.Remaining.Load(), 10))
		h.Set("x-ratelimit-used", strconv.FormatInt(5000-u.Remaining.Load(), 10))
		h.Set("x-ratelimit-reset", strconv.FormatInt(time.Now().Add(30*time.Minute).Unix(), 10))
		h.Set("x-ratelimit-resource", "core")
		h.Add("Set-Cookie", "session=secret")
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/limited", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"message": "You have exceeded a secondary rate limit"}`)
	})
	mux.HandleFunc("/usage", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id": "c1", "usage": {"prompt_tokens": 100, "completion_tokens": 23, "total_tokens": 123}}`)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.Hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	tb.Cleanup(ts.Close)
	u.URL = ts.URL
	return u
}

// MustPool returns the state of a pool of the daemon.
func MustPool(tb testing.TB, c *client.Client, name, identity string) *client.PoolState {
	tb.Helper()
	st, err := c.Pool(context.Background(), name, identity)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// MustGet sends a GET through hc, fails the test on an error, and returns
// the response with its body still open.
func MustGet(tb testing.TB, hc *http.Client, url string) *http.Response {
	tb.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

// drain reads and closes a response body, as a careful caller does.
func drain(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b)
}

// costs returns a Pools function that charges every request the same.
func costs(pools map[string]int64) func(*http.Request) map[string]int64 {
	return func(*http.Request) map[string]int64 { return pools }
}

// roundTripFunc is a RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
