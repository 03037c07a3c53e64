package proxy_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/proxy"
)

func TestMissingTokenIs502AndFree(t *testing.T) {
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {})
	h := newHarness(t, githubPolicy(up.URL), map[string]string{"GITHUB_TOKEN": ""})
	resp, body := h.do("GET", "/proxy/github/user", "", nil)
	e := mustError(t, resp, body, http.StatusBadGateway, "upstream_token_missing")
	if want := "the environment variable GITHUB_TOKEN named by upstreams.github.token_env is not set: set it for ratelord-d"; e.Error.Message != want {
		t.Errorf("message %q, want %q", e.Error.Message, want)
	}
	if up.count() != 0 {
		t.Errorf("the upstream got %d requests, want none", up.count())
	}
	if st := h.pool("github-core"); st.Used != 0 || st.LeasesOpen != 0 {
		t.Errorf("pool used %d, leases %d; want nothing charged", st.Used, st.LeasesOpen)
	}
}

func TestUpstreamDownRefunds(t *testing.T) {
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {})
	up.Close() // nothing listens there any more
	h := newHarness(t, githubPolicy(up.URL), map[string]string{"GITHUB_TOKEN": secret})
	resp, body := h.do("GET", "/proxy/github/user", "", nil)
	e := mustError(t, resp, body, http.StatusBadGateway, "upstream_unreachable")
	if !strings.Contains(e.Error.Message, "connection refused") || !strings.Contains(e.Error.Message, "upstream github") {
		t.Errorf("message %q does not give the reason", e.Error.Message)
	}
	if st := h.pool("github-core"); st.Used != 0 || st.LeasesOpen != 0 {
		t.Errorf("pool used %d, leases %d; want the lease refunded", st.Used, st.LeasesOpen)
	}
	if n := len(h.store.OfType(governor.EventSettle)); n != 1 {
		t.Errorf("%d settle events, want the refund", n)
	}
}

func TestUpstreamDropsConnectionKeepsCharge(t *testing.T) {
	up := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // the request arrived; no answer
		}
	})
	h := newHarness(t, githubPolicy(up.URL), map[string]string{"GITHUB_TOKEN": secret})
	resp, body := h.do("POST", "/proxy/github/repos/o/r/issues", "{}", nil)
	e := mustError(t, resp, body, http.StatusBadGateway, "upstream_unreachable")
	if !strings.Contains(e.Error.Message, "may have reached it") {
		t.Errorf("message %q does not say the request may have arrived", e.Error.Message)
	}
	if st := h.pool("github-core"); st.Used != 1 || st.LeasesOpen != 0 {
		t.Errorf("pool used %d, leases %d; want the charge kept and the lease closed", st.Used, st.LeasesOpen)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTokenNeverShown(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization") + r.Header.Get("X-Api-Key")
		w.Header().Set("X-Echo-Auth", auth)
		w.Header().Set("Trailer", "X-Echo-Trailer")
		switch r.URL.Path {
		case "/stream":
			// The token split over two flushed chunks.
			w.Header().Set("Content-Type", "text/event-stream")
			half := len(auth) - 6
			fmt.Fprintf(w, "data: {\"auth\":\"%s", auth[:half])
			w.(http.Flusher).Flush()
			fmt.Fprintf(w, "%s\"}\n\n", auth[half:])
		default:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"message":"bad credentials: %s","again":%q}`, auth, auth)
		}
		w.Header().Set("X-Echo-Trailer", auth)
	}
	for _, dialect := range []string{"github", "anthropic"} {
		t.Run(dialect, func(t *testing.T) {
			up := newFake(t, echo)
			h := newHarness(t, fmt.Sprintf(`
pools:
  p: {limit: 100, window: 1m}
upstreams:
  u:
    url: %s
    dialect: %s
    token_env: TOKEN
    routes:
      - {path: /, pools: {p: 1}}
`, up.URL, dialect), map[string]string{"TOKEN": secret})
			for _, path := range []string{"/proxy/u/error", "/proxy/u/stream"} {
				resp, body := h.do("GET", path, "", nil)
				if resp.Header.Get("X-Echo-Auth") != "" || resp.Trailer.Get("X-Echo-Trailer") != "" {
					t.Errorf("%s: the echoed header was not dropped: %v %v", path, resp.Header, resp.Trailer)
				}
				if !strings.Contains(string(body), strings.Repeat("*", len(secret))) {
					t.Errorf("%s: body %q: want the token masked, same length", path, body)
				}
			}
			if !strings.Contains(up.last().Header.Get("Authorization")+up.last().Header.Get("X-Api-Key"), secret) {
				t.Errorf("the upstream did not get the token")
			}
		})
	}

	t.Run("transport error", func(t *testing.T) {
		h := newHarness(t, githubPolicy("http://example.invalid"), map[string]string{"GITHUB_TOKEN": secret}, func(p *proxy.Proxy) {
			p.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return nil, errors.New("refused " + r.Header.Get("Authorization"))
			})
		})
		resp, body := h.do("GET", "/proxy/github/user", "", nil)
		e := mustError(t, resp, body, http.StatusBadGateway, "upstream_unreachable")
		if !strings.Contains(e.Error.Message, "refused Bearer [REDACTED]") {
			t.Errorf("message %q, want the token redacted", e.Error.Message)
		}
	})
}
