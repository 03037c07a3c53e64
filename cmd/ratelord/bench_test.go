package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// benchDaemon is a fake daemon that grants the even acquires (in arrival
// order) and denies the odd ones. onAcquire, when set, sees each number.
func benchDaemon(t *testing.T, onAcquire func(i int64)) (string, *recorder) {
	t.Helper()
	var n atomic.Int64
	return MustDaemon(t, map[string]http.HandlerFunc{
		"POST /v1/acquire": func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			i := n.Add(1) - 1
			if onAcquire != nil {
				onAcquire(i)
			}
			if i%2 == 0 {
				reply(http.StatusOK, fmt.Sprintf(`{"granted":true,"lease_id":"l_%d","waited_ms":0,"pools":[]}`, i))(w, r)
				return
			}
			reply(http.StatusTooManyRequests, `{"granted":false,"reason":"quota_exhausted","retry_after_ms":9}`)(w, r)
		},
	})
}

func TestBenchUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string // a substring of stderr
	}{
		{[]string{"bench"}, "name a pool to acquire from"},
		{[]string{"bench", "p"}, `unexpected argument "p"`},
		{[]string{"bench", "--pool", "p", "--duration", "1s", "--requests", "5"}, "--duration or --requests, not both"},
		{[]string{"bench", "--pool", "p", "--cost", "2", "--cost-range", "1-3"}, "--cost or --cost-range, not both"},
		{[]string{"bench", "--pool", "p", "--cost-range", "3-1"}, `--cost-range "3-1": want LO-HI`},
		{[]string{"bench", "--pool", "p", "--cost", "0"}, "--cost 0: want 1 or more"},
		{[]string{"bench", "--pools", "a=3,b=x"}, `pool "b": weight "x"`},
		{[]string{"bench", "--pools", "a=1", "--pool", "a"}, "pool a is named twice"},
		{[]string{"bench", "--pool", "p", "--concurrency", "0"}, "--concurrency 0: want 1 or more"},
		{[]string{"bench", "--pool", "p", "--url", "localhost:1"}, `bad URL "localhost:1"`},
	} {
		r := runCLI(t, nil, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("ratelord %q: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
}

func TestBenchJSON(t *testing.T) {
	t.Parallel()
	url, rec := benchDaemon(t, nil)
	r := runCLI(t, urlEnv(url), "bench", "--pools", "a=3,b=1", "--requests", "40", "--warmup", "0s",
		"--concurrency", "4", "--baseline", "--json")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	var got struct {
		Target struct {
			Requests, Granted, Denied, Errors int64
			Latency                           map[string]float64 `json:"latency_us"`
		}
		Baseline struct{ Requests, Granted int64 }
		Ratio    map[string]float64
		Settings map[string]any
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("stdout %q: want one JSON object on one line (%v)", r.stdout, err)
	}
	tg, l := got.Target, got.Target.Latency
	if tg.Requests != 40 || tg.Granted != 20 || tg.Denied != 20 || tg.Errors != 0 || got.Baseline.Granted != 40 {
		t.Errorf("stdout %s: want 40 target requests (20 granted, 20 denied) and 40 baseline grants", r.stdout)
	}
	if !(l["p50"] > 0 && l["p50"] <= l["p90"] && l["p90"] <= l["p99"] && l["p99"] <= l["max"]) {
		t.Errorf("latency %v: want 0 < p50 <= p90 <= p99 <= max", l)
	}
	if _, ok := got.Ratio["throughput"]; !ok || got.Ratio["p99"] <= 0 {
		t.Errorf("ratio %v: want throughput and p99", got.Ratio)
	}
	pools, _ := got.Settings["pools"].(map[string]any)
	if pools["a"] != 3.0 || pools["b"] != 1.0 || got.Settings["url"] != url {
		t.Errorf("settings %v: want the pool mix and the URL", got.Settings)
	}
	if n := rec.count("POST /v1/acquire"); n != 40 {
		t.Errorf("the daemon got %d acquires, want exactly 40", n)
	}
}

func TestBenchTable(t *testing.T) {
	t.Parallel()
	url, _ := benchDaemon(t, nil)
	r := runCLI(t, urlEnv(url), "bench", "--pool", "p", "--requests", "10", "--warmup", "0s", "--concurrency", "2")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "2 workers, 10 requests after 0s warmup, closed loop, pools p=1") ||
		!strings.Contains(lines[2], "requests  duration  decisions/s  granted  denied  errors") ||
		!strings.HasPrefix(strings.Fields(lines[3])[0], "ratelord") || strings.Fields(lines[3])[4] != "5" {
		t.Errorf("stdout:\n%s\nwant a settings line and a table with 5 grants", r.stdout)
	}
}

func TestBenchInterrupt(t *testing.T) {
	t.Parallel()
	sent := make(chan struct{})
	var once atomic.Bool
	url, _ := benchDaemon(t, func(i int64) {
		if i == 20 && once.CompareAndSwap(false, true) {
			close(sent)
		}
	})
	var out, errb bytes.Buffer
	c, registered := signalCLI(url, &out, &errb)
	go func() {
		sigs := <-registered
		<-sent
		sigs <- os.Interrupt
	}()
	code := c.main([]string{"bench", "--pool", "p", "--duration", "1h", "--warmup", "0s", "--concurrency", "2"})
	if code != exitOK || !strings.Contains(out.String(), "interrupted") || !strings.Contains(out.String(), "ratelord") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit 0 and the figures so far", code, out.String(), errb.String())
	}
}

func TestBenchUnreachable(t *testing.T) {
	t.Parallel()
	r := runCLI(t, urlEnv(MustDeadURL(t)), "bench", "--pool", "p", "--requests", "3", "--warmup", "0s")
	if r.code != exitError || !strings.Contains(r.stderr, "no acquire got a decision") ||
		!strings.Contains(r.stderr, "connection refused") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and why", r.code, r.stderr)
	}
}
