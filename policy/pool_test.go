package policy_test

import (
	"testing"
	"time"

	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/quota"
)

// mustParse parses an inline policy or fails the test.
func mustParse(tb testing.TB, text string) *policy.Policy {
	tb.Helper()
	p, err := policy.Parse("test.yaml", []byte(text))
	if err != nil {
		tb.Fatalf("Parse:\n%v", err)
	}
	return p
}

func TestShare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reserve string
		want    [4]int64 // Share of low, normal, high, critical
	}{
		{"{}", [4]int64{10000, 10000, 10000, 10000}},
		{"{low: 20%}", [4]int64{8000, 10000, 10000, 10000}},
		{"{normal: 10%, low: 30%}", [4]int64{7000, 9000, 10000, 10000}},
		{"{normal: 10%}", [4]int64{9000, 9000, 10000, 10000}},
		{"{high: 0.25%, normal: 12.5%}", [4]int64{8750, 8750, 9975, 10000}},
		{"{low: 99.99%, normal: 0%}", [4]int64{1, 10000, 10000, 10000}},
	}
	for _, tc := range tests {
		p := mustParse(t, "pools: {p: {limit: 100, window: 1m, reserve: "+tc.reserve+"}}")
		pool := p.Pool("p")
		for pr := policy.Low; pr <= policy.Critical; pr++ {
			if got := pool.Share(pr); got != tc.want[pr] {
				t.Errorf("reserve %s: Share(%v) = %d, want %d", tc.reserve, pr, got, tc.want[pr])
			}
		}
		if got := pool.Share(policy.Priority(9)); got != 10000 {
			t.Errorf("reserve %s: Share(9) = %d, want 10000 (as critical)", tc.reserve, got)
		}
	}
}

func TestQuota(t *testing.T) {
	t.Parallel()
	tests := []struct {
		l    policy.Limit
		want quota.Limit
	}{
		{policy.Limit{Limit: 10, Window: time.Minute}, quota.Limit{Algorithm: quota.Sliding, Limit: 10, Window: int64(time.Minute)}},
		{policy.Limit{Limit: 10, Window: time.Minute, Burst: 3}, quota.Limit{Algorithm: quota.Sliding, Limit: 10, Window: int64(time.Minute), Burst: 3}},
		{policy.Limit{Limit: 5000, Window: time.Hour, Algorithm: quota.Fixed}, quota.Limit{Algorithm: quota.Fixed, Limit: 5000, Window: int64(time.Hour)}},
		{policy.Limit{Limit: 500, Window: time.Minute, Algorithm: quota.Bucket}, quota.Limit{Algorithm: quota.Bucket, Limit: 500, Window: int64(time.Minute), Burst: 500}},
		{policy.Limit{Limit: 10, Window: time.Second, Algorithm: quota.Bucket, Burst: 50}, quota.Limit{Algorithm: quota.Bucket, Limit: 10, Window: int64(time.Second), Burst: 50}},
	}
	for _, tc := range tests {
		if got := tc.l.Quota(); got != tc.want {
			t.Errorf("%+v.Quota() = %+v, want %+v", tc.l, got, tc.want)
		}
	}
}

func TestLongestWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want time.Duration
	}{
		{"pools: {a: {limit: 1, window: 1m}}", time.Minute},
		{"pools: {a: {limit: 1, window: 1m}, b: {limit: 1, window: 90m}}", 90 * time.Minute},
		{"pools: {a: {limits: [{limit: 1, window: 24h}, {limit: 1, window: 1s}]}, b: {limit: 1, window: 1h}}", 24 * time.Hour},
	}
	for _, tc := range tests {
		if got := mustParse(t, tc.text).LongestWindow(); got != tc.want {
			t.Errorf("%s: LongestWindow() = %v, want %v", tc.text, got, tc.want)
		}
	}
	if got := (&policy.Policy{}).LongestWindow(); got != 0 {
		t.Errorf("empty policy: LongestWindow() = %v, want 0", got)
	}
}

func TestCapacity(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `pools:
  a: {limit: 10, window: 1m}
  b: {limits: [{limit: 1000, window: 1h}, {limit: 100, window: 1m, burst: 20}]}
  c: {limit: 10, window: 1s, algorithm: bucket, burst: 50}
`)
	for name, want := range map[string]int64{"a": 10, "b": 20, "c": 50} {
		if got := p.Pool(name).Capacity(); got != want {
			t.Errorf("pool %s: Capacity() = %d, want %d", name, got, want)
		}
	}
}

func TestLookups(t *testing.T) {
	t.Parallel()
	p, err := policy.Load("testdata/valid-design.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if pool := p.Pool("nightly"); pool == nil || pool.Name != "nightly" {
		t.Errorf("Pool(nightly) = %+v", pool)
	}
	if u := p.Upstream("openai"); u == nil || u.Name != "openai" {
		t.Errorf("Upstream(openai) = %+v", u)
	}
	if p.Pool("nope") != nil || p.Upstream("nope") != nil {
		t.Errorf("lookups of unknown names returned something")
	}
}

func TestRouteMatch(t *testing.T) {
	t.Parallel()
	u := &policy.Upstream{Routes: []policy.Route{{Path: "/v1/chat"}, {Path: "/v1/models/"}, {Path: "/"}}}
	tests := []struct{ path, want string }{
		{"/v1/chat", "/v1/chat"},
		{"/v1/chat/completions", "/v1/chat"},
		{"/v1/chatter", "/"},
		{"/v1/models/gpt", "/v1/models/"},
		{"/v1/models", "/"},
		{"/", "/"},
		{"/anything", "/"},
	}
	for _, tc := range tests {
		r := u.Route(tc.path)
		if r == nil || r.Path != tc.want {
			t.Errorf("Route(%q) = %+v, want the route for %s", tc.path, r, tc.want)
		}
	}
	if r := (&policy.Upstream{Routes: []policy.Route{{Path: "/v1"}}}).Route("/v2"); r != nil {
		t.Errorf("Route(/v2) = %+v, want nil", r)
	}
}
