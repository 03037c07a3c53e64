package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ratelord/ratelord/bench"
)

// fakeDaemon answers acquires in arrival order: the even ones (0, 2, ...)
// are granted, the odd ones denied, except that answer(i) may override.
type fakeDaemon struct {
	URL      string
	acquires atomic.Int64
	releases atomic.Int64
	// answer, when set, may answer acquire i itself and return true.
	answer func(i int64, w http.ResponseWriter) bool
	// onAcquire, when set, sees each acquire's number and body.
	onAcquire func(i int64, body []byte)
}

// MustFakeDaemon starts a fakeDaemon; set its hooks before the first request.
func MustFakeDaemon(tb testing.TB, f *fakeDaemon) *fakeDaemon {
	tb.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/acquire", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		i := f.acquires.Add(1) - 1
		if f.onAcquire != nil {
			f.onAcquire(i, body)
		}
		if f.answer != nil && f.answer(i, w) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if i%2 == 0 {
			fmt.Fprintf(w, `{"granted":true,"lease_id":"l_%d","waited_ms":0,"pools":[]}`+"\n", i)
			return
		}
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"granted":false,"reason":"quota_exhausted","retry_after_ms":500,"pools":[]}`+"\n")
	})
	mux.HandleFunc("DELETE /v1/leases/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.releases.Add(1)
		fmt.Fprintf(w, `{"lease_id":%q,"released":true}`+"\n", r.PathValue("id"))
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// MustRun runs cfg and fails the test on an error.
func MustRun(tb testing.TB, ctx context.Context, cfg bench.Config) bench.Result {
	tb.Helper()
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return res
}

// checkOrdered fails unless the percentiles are in order.
func checkOrdered(tb testing.TB, name string, l bench.Latency) {
	tb.Helper()
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
		tb.Errorf("%s latency %+v: want 0 < p50 <= p90 <= p99 <= max", name, l)
	}
}

func TestBaselineCounts(t *testing.T) {
	t.Parallel()
	res := MustRun(t, t.Context(), bench.Config{BaselineOnly: true, Requests: 300, Concurrency: 4, Settle: true})
	b := res.Baseline
	if res.Target != nil || b == nil {
		t.Fatalf("result %+v: want a baseline and no target", res)
	}
	if b.Requests != 300 || b.Granted != 300 || b.Denied != 0 || b.Errors != 0 || b.Interrupted {
		t.Errorf("baseline %+v: want 300 requests, all granted", b)
	}
	if b.Release == nil || b.Release.Requests != 300 || b.Release.Errors != 0 {
		t.Errorf("baseline release %+v: want 300 releases without error", b.Release)
	}
	checkOrdered(t, "baseline", b.Latency)
	checkOrdered(t, "baseline release", b.Release.Latency)
}

func TestEvenGrantedOddDenied(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{0, 5000} {
		t.Run(fmt.Sprintf("rate=%g", rate), func(t *testing.T) {
			t.Parallel()
			d := MustFakeDaemon(t, &fakeDaemon{})
			res := MustRun(t, t.Context(), bench.Config{URL: d.URL, Requests: 101, Concurrency: 8,
				Rate: rate, Pools: []bench.PoolWeight{{Name: "p", Weight: 1}}, Settle: true})
			st := res.Target
			if st.Requests != 101 || st.Granted != 51 || st.Denied != 50 || st.Errors != 0 {
				t.Errorf("stats %+v: want 101 requests, 51 granted, 50 denied, no error", st)
			}
			if n := d.acquires.Load(); n != 101 {
				t.Errorf("daemon got %d acquires, want exactly 101", n)
			}
			if n := d.releases.Load(); n != 51 || st.Release.Requests != 51 || st.Release.Errors != 0 {
				t.Errorf("daemon got %d releases, report %+v: want 51 of each, no error", n, st.Release)
			}
			checkOrdered(t, "acquire", st.Latency)
		})
	}
}

func TestErrorsByKind(t *testing.T) {
	t.Parallel()
	d := MustFakeDaemon(t, &fakeDaemon{answer: func(i int64, w http.ResponseWriter) bool {
		switch i % 5 {
		case 1:
			http.Error(w, `{"error":{"code":"unavailable"}}`, http.StatusServiceUnavailable)
		case 3:
			// A reply that is not HTTP: a transport error the client does not retry.
			conn, _, _ := http.NewResponseController(w).Hijack()
			io.WriteString(conn, "garbage\r\n\r\n")
			conn.Close()
		default:
			return false
		}
		return true
	}})
	res := MustRun(t, t.Context(), bench.Config{URL: d.URL, Requests: 50, Concurrency: 3,
		Pools: []bench.PoolWeight{{Name: "p", Weight: 1}}})
	st := res.Target
	// Of 0..49: i%5 == 1 (10) are 503, i%5 == 3 (10) broken, the other 30 by parity.
	if st.Requests != 50 || st.Errors != 20 || st.ByStatus["503"] != 10 || st.TransportErrors != 10 ||
		st.Granted != 15 || st.Denied != 15 || st.FirstError == "" {
		t.Errorf("stats %+v: want 50 requests: 15 granted, 15 denied, 10 HTTP 503, 10 transport errors", st)
	}
	if n := d.acquires.Load(); n != 50 {
		t.Errorf("daemon got %d acquires, want exactly 50", n)
	}
}

func TestMixBodies(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]int{}
	d := MustFakeDaemon(t, &fakeDaemon{onAcquire: func(_ int64, body []byte) {
		var b struct {
			Pool     string `json:"pool"`
			Cost     int64  `json:"cost"`
			Identity string `json:"identity"`
			Priority string `json:"priority"`
			MaxWait  string `json:"max_wait"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err := dec.Decode(&b)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil, b.Pool != "a" && b.Pool != "b", b.Cost < 2 || b.Cost > 4,
			!strings.HasPrefix(b.Identity, "bench-"), b.Priority != "low", b.MaxWait != "250ms":
			seen["bad "+string(body)]++
		default:
			seen[b.Pool]++
			seen[b.Identity]++
		}
	}})
	res := MustRun(t, t.Context(), bench.Config{URL: d.URL, Requests: 400, Concurrency: 4,
		Pools: []bench.PoolWeight{{Name: "a", Weight: 3}, {Name: "b", Weight: 1}}, CostMin: 2, CostMax: 4,
		Identities: 3, Priority: "low", MaxWait: 250e6})
	if res.Target.Requests != 400 {
		t.Errorf("requests %d, want 400", res.Target.Requests)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["a"]+seen["b"] != 400 || seen["a"] == 0 || seen["b"] == 0 ||
		seen["bench-0"]+seen["bench-1"]+seen["bench-2"] != 400 {
		t.Errorf("bodies seen %v: want 400 valid ones over pools a, b and identities bench-0..2", seen)
	}
}

// BenchmarkBaseline measures the generator and the in-process baseline
// together: ns/op is the cost of one acquire on this machine, with both
// sides sharing its cores.
func BenchmarkBaseline(b *testing.B) {
	res, err := bench.Run(b.Context(), bench.Config{BaselineOnly: true, Requests: int64(b.N), Concurrency: 16})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.Baseline.DecisionsPerSecond(), "decisions/s")
	b.ReportMetric(float64(res.Baseline.Latency.P99.Microseconds()), "p99-µs")
}
