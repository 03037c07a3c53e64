package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ratelord/ratelord/client"
)

// settleUsage returns a Settle function that charges pool the total_tokens
// of an OpenAI-style answer's usage, or releases when there is none.
func settleUsage(pool string) func(*http.Response) map[string]int64 {
	return func(resp *http.Response) map[string]int64 {
		var doc struct {
			Usage *struct {
				TotalTokens int64 `json:"total_tokens"`
			} `json:"usage"`
		}
		if json.NewDecoder(resp.Body).Decode(&doc) != nil || doc.Usage == nil {
			return nil
		}
		return map[string]int64{pool: doc.Usage.TotalTokens}
	}
}

func TestTransportPassesThroughWithoutPools(t *testing.T) {
	t.Parallel()
	c, up := MustDaemon(t), MustUpstream(t)
	hc := &http.Client{Transport: &client.Transport{Client: c, Upstream: "github",
		Pools: func(r *http.Request) map[string]int64 {
			if r.URL.Path == "/core" {
				return nil
			}
			return map[string]int64{"p": 1}
		}}}
	up.Remaining.Store(1)
	drain(MustGet(t, hc, up.URL+"/core"))
	page, err := c.Events(context.Background(), client.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 0 {
		t.Errorf("events = %+v, want none for a request passed through", page.Events)
	}
	if st := MustPool(t, c, "gh", ""); st.Remaining != 5000 {
		t.Errorf("pool gh: remaining %d, want 5000: a request passed through is not reported", st.Remaining)
	}
}

func TestTransportDoesNotGateOwnCalls(t *testing.T) {
	t.Parallel()
	c, up := MustDaemon(t), MustUpstream(t)
	tr := &client.Transport{Client: c, Pools: costs(map[string]int64{"one": 1})}
	// The SDK's own HTTP client goes through the Transport too: its calls
	// to the daemon must not be gated (or they would recurse, and the one
	// unit of pool "one" would be gone before the upstream is called).
	c.HTTP = &http.Client{Transport: tr}
	hc := &http.Client{Transport: tr}
	drain(MustGet(t, hc, up.URL+"/core"))
	if st := MustPool(t, c, "one", ""); st.Used != 1 || st.LeasesOpen != 0 {
		t.Errorf("pool one: used %d, leases open %d; want 1 and 0", st.Used, st.LeasesOpen)
	}
}

func TestTransportBrokenReportIsIgnored(t *testing.T) {
	t.Parallel()
	c, up := MustDaemon(t), MustUpstream(t)
	var logs bytes.Buffer
	hc := &http.Client{Transport: &client.Transport{Client: c, Upstream: "no-such-upstream",
		Pools:  costs(map[string]int64{"p": 1}),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}}
	resp, err := hc.Get(up.URL + "/core")
	if err != nil {
		t.Fatalf("a failed report broke the request: %v", err)
	}
	if body := drain(resp); body != "ok" {
		t.Errorf("body %q, want ok", body)
	}
	if !strings.Contains(logs.String(), "level=DEBUG") || !strings.Contains(logs.String(), "unknown_upstream") {
		t.Errorf("log = %q, want a debug line naming the failure", logs.String())
	}
}

func TestTransportReportsOnlyRateLimitHeaders(t *testing.T) {
	t.Parallel()
	up := MustUpstream(t)
	var reported map[string]any
	c := MustServe(t, map[string]http.HandlerFunc{
		"POST /v1/acquire": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"granted":true,"lease_id":"l1","pools":[]}`)
		},
		"POST /v1/observe": func(w http.ResponseWriter, r *http.Request) {
			reported = MustDecode(t, r)
			writeJSON(w, 200, `{"observed":true,"pools":[]}`)
		},
		"DELETE /v1/leases/{id}": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"lease_id":"l1","released":true}`)
		},
	})
	hc := &http.Client{Transport: &client.Transport{Client: c, Upstream: "github",
		Pools: costs(map[string]int64{"gh": 1}), Identity: func(*http.Request) string { return "ci" }}}
	drain(MustGet(t, hc, up.URL+"/core"))
	if reported["upstream"] != "github" || reported["status"] != 200.0 || reported["identity"] != "ci" {
		t.Errorf("report = %v, want upstream github, status 200, identity ci", reported)
	}
	headers, _ := reported["headers"].(map[string]any)
	if headers["X-Ratelimit-Remaining"] != "4000" || headers["X-Ratelimit-Resource"] != "core" {
		t.Errorf("reported headers = %v, want the x-ratelimit-* ones", headers)
	}
	for name := range headers {
		if l := strings.ToLower(name); !strings.Contains(l, "ratelimit") {
			t.Errorf("reported header %s, want only rate-limit headers (no cookies)", name)
		}
	}
}

func TestTransportRetriesDenialThatFits(t *testing.T) {
	t.Parallel()
	up := MustUpstream(t)
	for _, tc := range []struct {
		name     string
		retryMS  int
		acquires int
		granted  bool
	}{
		{"retry fits in MaxWait", 50, 2, true},
		{"retry past MaxWait", 10000, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var waits []string
			c := MustServe(t, map[string]http.HandlerFunc{
				"POST /v1/acquire": func(w http.ResponseWriter, r *http.Request) {
					waits = append(waits, MustDecode(t, r)["max_wait"].(string))
					if len(waits) == 1 {
						w.Header().Set("Retry-After", "1")
						writeJSON(w, 429, `{"granted":false,"reason":"concurrency_limit","retry_after_ms":`+strconv.Itoa(tc.retryMS)+`}`)
						return
					}
					writeJSON(w, 200, `{"granted":true,"lease_id":"l1","pools":[]}`)
				},
				"DELETE /v1/leases/{id}": func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, 200, `{"lease_id":"l1","released":true}`)
				},
			})
			hc := &http.Client{Transport: &client.Transport{Client: c, MaxWait: 2 * time.Second, Pools: costs(map[string]int64{"p": 1})}}
			resp, err := hc.Get(up.URL + "/core")
			if tc.granted {
				if err != nil {
					t.Fatal(err)
				}
				drain(resp)
			} else if d := (*client.Denied)(nil); !errors.As(err, &d) || d.RetryAfter != 10*time.Second {
				t.Fatalf("err = %v, want the daemon's denial with its 10s retry", err)
			}
			if len(waits) != tc.acquires {
				t.Fatalf("acquires with max_wait %v, want %d", waits, tc.acquires)
			}
			first, _ := time.ParseDuration(waits[0])
			if first <= time.Second || first > 2*time.Second {
				t.Errorf("first max_wait %s, want the MaxWait of 2s (less the time taken)", first)
			}
			if len(waits) == 2 {
				if second, _ := time.ParseDuration(waits[1]); second >= first {
					t.Errorf("second max_wait %s, want less than the first (%s): the wait is shared", second, first)
				}
			}
		})
	}
}
