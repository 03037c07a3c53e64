package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ratelord/ratelord/httpapi/apitest"
)

// benchServer is the API over a real governor and SQLite store (sync
// normal: every grant is committed before its answer).
func benchServer(b *testing.B) http.Handler {
	return apitest.Start(b, "pools:\n  bench: {limit: 1000000000, window: 1s}\n").API.Handler()
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
