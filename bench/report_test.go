package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ratelord/ratelord/bench"
)

func TestBaselineThenTarget(t *testing.T) {
	t.Parallel()
	d := MustFakeDaemon(t, &fakeDaemon{})
	res := MustRun(t, t.Context(), bench.Config{URL: d.URL, Requests: 60, Concurrency: 2,
		Pools: []bench.PoolWeight{{Name: "p", Weight: 1}}, Baseline: true})
	if res.Baseline == nil || res.Baseline.Granted != 60 || res.Target == nil || res.Target.Granted != 30 ||
		res.Target.Denied != 30 || res.Ratio == nil || res.Ratio.Throughput <= 0 || res.Ratio.P99 <= 0 {
		t.Fatalf("result %+v: want a baseline of 60 grants, a target of 30+30 and ratios", res)
	}

	var b bytes.Buffer
	if err := res.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Target, Baseline map[string]any
		Ratio            map[string]float64
		Settings         map[string]any
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("JSON %s: %v", b.String(), err)
	}
	for _, st := range []map[string]any{got.Target, got.Baseline} {
		for _, key := range []string{"requests", "duration_s", "decisions_per_s", "granted", "denied", "errors", "latency_us"} {
			if _, ok := st[key]; !ok {
				t.Errorf("JSON %s: a report without %q", b.String(), key)
			}
		}
	}
	if got.Target["granted"] != 30.0 || got.Ratio["throughput"] <= 0 || got.Ratio["p99"] <= 0 ||
		got.Settings["requests"] != 60.0 || got.Settings["concurrency"] != 2.0 {
		t.Errorf("JSON %s: want 30 granted, ratios and the settings", b.String())
	}
	if strings.Contains(b.String(), "token") {
		t.Errorf("JSON %s shows the token setting", b.String())
	}

	b.Reset()
	if err := res.Print(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"decisions/s", "\n  baseline", "\n  ratelord", "\n     ratio"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table:\n%s\nwant %q in it", b.String(), want)
		}
	}
}

func TestCancelReportsWhatWasMeasured(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	d := MustFakeDaemon(t, &fakeDaemon{})
	d.onAcquire = func(i int64, _ []byte) {
		if i == 40 {
			cancel()
		}
	}
	res := MustRun(t, ctx, bench.Config{URL: d.URL, Duration: time.Hour, Concurrency: 4,
		Pools: []bench.PoolWeight{{Name: "p", Weight: 1}}})
	st := res.Target
	if !st.Interrupted || !res.Interrupted() || st.Requests < 30 || st.Requests > d.acquires.Load() ||
		st.Errors != 0 || st.Granted+st.Denied != st.Requests {
		t.Errorf("stats %+v after %d acquires: want an interrupted run with the answers so far, no error",
			st, d.acquires.Load())
	}
	var b bytes.Buffer
	res.Print(&b)
	if !strings.Contains(b.String(), "interrupted") {
		t.Errorf("table:\n%s\nwant a note that the run was interrupted", b.String())
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	pools := []bench.PoolWeight{{Name: "p", Weight: 1}}
	for _, tc := range []struct {
		cfg  bench.Config
		want string
	}{
		{bench.Config{URL: "http://x"}, "name at least one pool"},
		{bench.Config{URL: "localhost:8090", Pools: pools}, `bad URL "localhost:8090"`},
		{bench.Config{URL: "http://x", Pools: pools, Concurrency: -1}, "concurrency -1"},
		{bench.Config{URL: "http://x", Pools: pools, CostMin: 5, CostMax: 2}, "cost range 5-2"},
		{bench.Config{URL: "http://x", Pools: []bench.PoolWeight{{Name: "p", Weight: 0}}}, "pool p: weight 0"},
		{bench.Config{URL: "http://x", Pools: append(pools, pools...)}, "pool p is named twice"},
		{bench.Config{URL: "http://x", Pools: pools, Rate: -1}, "rate -1"},
	} {
		_, err := bench.Run(t.Context(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run(%+v): error %v, want one with %q", tc.cfg, err, tc.want)
		}
	}
	if err := (bench.Config{BaselineOnly: true}).Validate(); err != nil {
		t.Errorf("a baseline-only run needs no URL nor pool: %v", err)
	}
}

func TestBaselineHandlerIsStrict(t *testing.T) {
	t.Parallel()
	url, stop, err := bench.StartBaseline()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for body, want := range map[string]int{
		`{"pool":"p","cost":1,"identity":"a"}`: http.StatusOK,
		`{"pool":"p","bogus":1}`:               http.StatusBadRequest,
	} {
		resp, err := http.Post(url+"/v1/acquire", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("baseline answered %s with %d, want %d", body, resp.StatusCode, want)
		}
	}
}
