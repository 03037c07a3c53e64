package proxy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/proxy"
	"github.com/ratelord/ratelord/sqlite"
)

// BenchmarkProxy compares a GET to a local fake upstream made directly with
// the same GET made through the proxy (acquire with group commit in SQLite,
// token injection, header observation, release), side by side.
func BenchmarkProxy(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "1000000000")
		w.Header().Set("X-RateLimit-Remaining", "999999999")
		io.WriteString(w, `{"ok":true}`)
	}))
	defer up.Close()
	pol, err := policy.Parse("bench.yaml", []byte(`pools:
  gh: {limit: 1000000000, window: 1s, upstream: github}
upstreams:
  github: {url: `+up.URL+`, dialect: github, token_env: BENCH_TOKEN, routes: [{path: /, pools: {gh: 1}}]}
`))
	if err != nil {
		b.Fatal(err)
	}
	db := &sqlite.DB{Path: filepath.Join(b.TempDir(), "b.db"), Sync: "normal"}
	if err := db.Open(); err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	g := &governor.Governor{Store: db, Policy: pol}
	if err := g.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	px := httptest.NewServer(&proxy.Proxy{Governor: g, Getenv: func(string) string { return "bench-token" }})
	defer px.Close()
	for _, tc := range []struct{ name, url string }{{"direct", up.URL + "/user"}, {"proxy", px.URL + "/proxy/github/user"}} {
		b.Run(tc.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(tc.url)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		})
	}
}
