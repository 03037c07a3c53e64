package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/governor/governortest"
	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/proxy"
)

// secret is the token every test injects; no test output may contain it.
const secret = "tok-SECRET-1234"

// start is a fixed, hour-aligned instant the fake clock starts at.
var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// harness runs a Proxy over a real governor, an in-memory store and a fake
// clock. At cleanup it checks that the secret appears in no log line, no
// event and nothing any response showed the test.
type harness struct {
	t     *testing.T
	gov   *governor.Governor
	store *governortest.MemStore
	clock *governortest.Clock
	proxy *proxy.Proxy
	srv   *httptest.Server
	logs  *syncBuffer

	mu   sync.Mutex
	seen []string // every response header and body the test saw
}

// newHarness starts a proxy for the policy yaml; env holds the variables
// Getenv finds.
func newHarness(t *testing.T, yaml string, env map[string]string, opts ...func(*proxy.Proxy)) *harness {
	t.Helper()
	pol, err := policy.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse policy: %v", err)
	}
	h := &harness{t: t, store: &governortest.MemStore{}, clock: governortest.NewClock(start), logs: &syncBuffer{}}
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.gov = &governor.Governor{Store: h.store, Policy: pol, Logger: logger, Now: h.clock.Now, Sleep: h.clock.Sleep}
	if err := h.gov.Open(context.Background()); err != nil {
		t.Fatalf("open governor: %v", err)
	}
	h.proxy = &proxy.Proxy{Governor: h.gov, Getenv: func(k string) string { return env[k] }, Logger: logger, Now: h.clock.Now}
	for _, o := range opts {
		o(h.proxy)
	}
	mux := http.NewServeMux()
	mux.Handle(proxy.Prefix, h.proxy)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	t.Cleanup(h.checkSecret)
	return h
}

// checkSecret fails the test if the secret leaked anywhere it could.
func (h *harness) checkSecret() {
	events, err := json.Marshal(h.store.All())
	if err != nil {
		h.t.Fatalf("marshal events: %v", err)
	}
	places := map[string]string{"logs": h.logs.String(), "events": string(events)}
	h.mu.Lock()
	places["responses"] = strings.Join(h.seen, "\n")
	h.mu.Unlock()
	for where, text := range places {
		if strings.Contains(text, secret) {
			h.t.Errorf("the token appears in the %s:\n%s", where, text)
		}
	}
}

// record keeps what a response showed the test.
func (h *harness) record(resp *http.Response, body []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	_ = resp.Header.Write(&b)
	_ = resp.Trailer.Write(&b)
	h.seen = append(h.seen, b.String(), string(body))
}

// do sends a request through the proxy and returns the answer and its body.
func (h *harness) do(method, path, body string, header map[string]string) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("new request: %v", err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read answer of %s %s: %v", method, path, err)
	}
	h.record(resp, b)
	return resp, b
}

// pool returns a pool's state.
func (h *harness) pool(name string) governor.PoolState {
	h.t.Helper()
	st, err := h.gov.Pool(name, "")
	if err != nil {
		h.t.Fatalf("pool %s: %v", name, err)
	}
	return st
}

// fake is an upstream that records every request it gets.
type fake struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []got
}

// got is one request a fake upstream received.
type got struct {
	Method, Path, RawPath, Query, Host, Body string
	Header                                   http.Header
}

func newFake(t *testing.T, handler http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, got{Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Host: r.Host, Body: string(b), Header: r.Header.Clone()})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		handler(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

func (f *fake) last() got {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		return got{}
	}
	return f.reqs[len(f.reqs)-1]
}

// apiError is the proxy's error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// mustError decodes an error body and checks its status and code.
func mustError(t *testing.T, resp *http.Response, body []byte, status int, code string) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if resp.StatusCode != status || e.Error.Code != code {
		t.Fatalf("got %d %q, want %d %q: %s", resp.StatusCode, e.Error.Code, status, code, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	return e
}
