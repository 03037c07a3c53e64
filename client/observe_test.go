package client_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ratelord/ratelord/client"
)

func ptr(n int64) *int64 { return &n }

func TestObserveSendsHeaderForm(t *testing.T) {
	t.Parallel()
	var got map[string]any
	c := MustServe(t, map[string]http.HandlerFunc{
		"POST /v1/observe": func(w http.ResponseWriter, r *http.Request) {
			got = MustDecode(t, r)
			writeJSON(w, 200, `{"observed":true,"pools":[{"pool":"gh","limit":5000,"window":"1h","remaining":7}]}`)
		},
	})
	h := http.Header{}
	h.Set("X-Ratelimit-Remaining", "7")
	h.Add("Retry-After", "1")
	h.Add("Retry-After", "2")
	pools, err := c.Observe(context.Background(), client.Observation{Upstream: "github", Status: 200, Header: h, Identity: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"upstream": "github", "status": 200.0, "identity": "ci",
		"headers": map[string]any{"X-Ratelimit-Remaining": "7", "Retry-After": "1, 2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request = %v, want %v", got, want)
	}
	if len(pools) != 1 || pools[0].Pool != "gh" || pools[0].Remaining != 7 {
		t.Errorf("pools = %+v", pools)
	}
}

func TestObserveSendsPoolForm(t *testing.T) {
	t.Parallel()
	var got map[string]any
	c := MustServe(t, map[string]http.HandlerFunc{
		"POST /v1/observe": func(w http.ResponseWriter, r *http.Request) {
			got = MustDecode(t, r)
			writeJSON(w, 200, `{"observed":true,"pools":[]}`)
		},
	})
	reset := time.Date(2025, 3, 1, 13, 0, 0, 0, time.FixedZone("CET", 3600))
	_, err := c.Observe(context.Background(), client.Observation{Pool: "p", Remaining: ptr(0), Limit: ptr(100),
		ResetAt: reset, RetryAfter: 1500 * time.Millisecond, Status: 429})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"pool": "p", "remaining": 0.0, "limit": 100.0, "status": 429.0,
		"reset_at": "2025-03-01T12:00:00Z", "retry_after": "1.5s"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request = %v, want %v (a zero remaining must be sent)", got, want)
	}
}

func TestObservePoolNumbers(t *testing.T) {
	t.Parallel()
	c := MustDaemon(t)
	pools, err := c.Observe(context.Background(), client.Observation{Pool: "p", Remaining: ptr(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(pools) != 1 || pools[0].Pool != "p" || pools[0].Remaining != 1 {
		t.Fatalf("pools = %+v, want p with 1 remaining", pools)
	}
	_, err = c.Acquire(context.Background(), client.AcquireRequest{Pool: "p", Cost: 2})
	var d *client.Denied
	if !errors.As(err, &d) {
		t.Errorf("acquire of 2 after the upstream said 1 remains: err = %v, want a denial", err)
	}
}

func TestObserveUpstreamHeaders(t *testing.T) {
	t.Parallel()
	c := MustDaemon(t)
	h := http.Header{}
	h.Set("x-ratelimit-limit", "5000")
	h.Set("x-ratelimit-remaining", "42")
	h.Set("x-ratelimit-reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	h.Set("x-ratelimit-resource", "core")
	pools, err := c.Observe(context.Background(), client.Observation{Upstream: "github", Status: 200, Header: h})
	if err != nil {
		t.Fatal(err)
	}
	if len(pools) != 1 || pools[0].Pool != "gh" || pools[0].Remaining != 42 {
		t.Errorf("pools = %+v, want gh with 42 remaining", pools)
	}
}

func TestObserveErrors(t *testing.T) {
	t.Parallel()
	c := MustDaemon(t)
	ctx := context.Background()
	if _, err := c.Observe(ctx, client.Observation{Upstream: "github", Pool: "p"}); err == nil {
		t.Error("both Upstream and Pool: no error")
	}
	if _, err := c.Observe(ctx, client.Observation{}); err == nil {
		t.Error("neither Upstream nor Pool: no error")
	}
	for _, tc := range []struct {
		o    client.Observation
		code string
	}{
		{client.Observation{Pool: "nope", Remaining: ptr(1)}, client.CodeUnknownPool},
		{client.Observation{Upstream: "nope", Status: 200}, client.CodeUnknownUpstream},
	} {
		_, err := c.Observe(ctx, tc.o)
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.Code != tc.code || ae.Status != http.StatusNotFound {
			t.Errorf("Observe(%+v) = %v, want a 404 %s", tc.o, err, tc.code)
		}
	}
}
