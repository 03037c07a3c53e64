package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/httpapi"
	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/sqlite"
)

// benchServer is the API over a real governor and SQLite store (sync
// normal: every grant is committed before its answer).
func benchServer(b *testing.B) http.Handler {
	pol, err := policy.Parse("bench.yaml", []byte("pools:\n  bench: {limit: 1000000000, window: 1s}\n"))
	if err != nil {
		b.Fatal(err)
	}
	db := &sqlite.DB{Path: filepath.Join(b.TempDir(), "b.db"), Sync: "normal"}
	if err := db.Open(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	g := &governor.Governor{Store: db, Policy: pol}
	if err := g.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	return (&httpapi.Server{Governor: g, Store: db}).Handler()
}

// BenchmarkAcquireHandler calls the handler in-process, in parallel, with
// no network: the API's own cost per granted acquire, group commit included.
func BenchmarkAcquireHandler(b *testing.B) {
	h := benchServer(b)
	body := []byte(`{"pool":"bench","cost":1,"identity":"bench-1"}`)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("POST", "/v1/acquire", bytes.NewReader(body)))
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}

// BenchmarkAcquireLoopback is the same over real HTTP on loopback with
// keep-alive connections.
func BenchmarkAcquireLoopback(b *testing.B) {
	ts := httptest.NewServer(benchServer(b))
	defer ts.Close()
	client := ts.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(ts.URL+"/v1/acquire", "application/json", strings.NewReader(`{"pool":"bench"}`))
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
}
