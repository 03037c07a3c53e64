package client_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/ratelord/ratelord/client"
)

func TestAcquireSendsRequestAndReturnsGrant(t *testing.T) {
	t.Parallel()
	var got map[string]any
	c := MustServe(t, map[string]http.HandlerFunc{
		"POST /v1/acquire": func(w http.ResponseWriter, r *http.Request) {
			got = MustDecode(t, r)
			writeJSON(w, 200, `{"granted":true,"lease_id":"lease-1","waited_ms":1500,
				"pools":[{"pool":"github-core","limit":5000,"window":"1h","used":1,"remaining":4999}]}`)
		},
	})
	g, err := c.Acquire(context.Background(), client.AcquireRequest{
		Pool: "github-core", Cost: 2, Identity: "crawler-1", Priority: "high",
		MaxWait: 10 * time.Second, LeaseTTL: 5 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"pool": "github-core", "cost": 2.0, "identity": "crawler-1",
		"priority": "high", "max_wait": "10s", "lease_ttl": "5m0s"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request = %v, want %v", got, want)
	}
	if g.LeaseID != "lease-1" || g.Waited != 1500*time.Millisecond {
		t.Errorf("grant = %+v", g)
	}
	if len(g.Pools) != 1 || g.Pools[0].Remaining != 4999 || g.Pools[0].Window != time.Hour {
		t.Errorf("grant pools = %+v", g.Pools)
	}
}

func TestAcquireDefaultsAndMultiPool(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  client.AcquireRequest
		want map[string]any
	}{
		{"zero cost means 1", client.AcquireRequest{Pool: "p"}, map[string]any{"pool": "p", "cost": 1.0}},
		{"pools", client.AcquireRequest{Pools: map[string]int64{"a": 1, "b": 1500}},
			map[string]any{"pools": map[string]any{"a": 1.0, "b": 1500.0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got map[string]any
			c := MustServe(t, map[string]http.HandlerFunc{
				"POST /v1/acquire": func(w http.ResponseWriter, r *http.Request) {
					got = MustDecode(t, r)
					writeJSON(w, 200, `{"granted":true,"lease_id":"x","waited_ms":0,"pools":[]}`)
				},
			})
			if _, err := c.Acquire(context.Background(), tc.req); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("request = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAcquireNeedsPoolOrPools(t *testing.T) {
	t.Parallel()
	c := client.New("http://127.0.0.1:1") // never contacted
	for _, req := range []client.AcquireRequest{
		{},
		{Pool: "a", Pools: map[string]int64{"b": 1}},
	} {
		if _, err := c.Acquire(context.Background(), req); err == nil {
			t.Errorf("Acquire(%+v) succeeded, want an error", req)
		}
	}
}

func TestAcquireDenied(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, header, body string
		status             int
		want               client.Denied
		text               string
	}{
		{"quota", "2", `{"granted":false,"reason":"quota_exhausted","message":"github-core: 0 of 5000 left",
			"retry_after_ms":1500,"pools":[{"pool":"github-core","remaining":0}]}`, 429,
			client.Denied{Reason: client.ReasonQuotaExhausted, Message: "github-core: 0 of 5000 left", RetryAfter: 1500 * time.Millisecond},
			"denied: quota_exhausted: github-core: 0 of 5000 left; retry in 1.5s"},
		{"header only", "3", `{"granted":false,"reason":"concurrency_limit","message":"100 open"}`, 429,
			client.Denied{Reason: client.ReasonConcurrencyLimit, Message: "100 open", RetryAfter: 3 * time.Second},
			"denied: concurrency_limit: 100 open; retry in 3s"},
		{"store", "", `{"granted":false,"reason":"store_unavailable","message":"redis down"}`, 503,
			client.Denied{Reason: client.ReasonStoreUnavailable, Message: "redis down"},
			"denied: store_unavailable: redis down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := MustServe(t, map[string]http.HandlerFunc{
				"POST /v1/acquire": func(w http.ResponseWriter, r *http.Request) {
					if tc.header != "" {
						w.Header().Set("Retry-After", tc.header)
					}
					writeJSON(w, tc.status, tc.body)
				},
			})
			g, err := c.Acquire(context.Background(), client.AcquireRequest{Pool: "github-core"})
			var d *client.Denied
			if !errors.As(err, &d) {
				t.Fatalf("Acquire = %v, %v; want *Denied", g, err)
			}
			if d.Reason != tc.want.Reason || d.Message != tc.want.Message || d.RetryAfter != tc.want.RetryAfter {
				t.Errorf("denied = %+v, want %+v", d, tc.want)
			}
			if err.Error() != tc.text {
				t.Errorf("err = %q, want %q", err, tc.text)
			}
		})
	}
}

func TestAcquireErrorsAreNotDenials(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		body   string
		code   string
	}{
		{404, `{"error":{"code":"unknown_pool","message":"no pool \"nope\""}}`, client.CodeUnknownPool},
		{400, `{"error":{"code":"bad_request","message":"cost: must not be negative"}}`, "bad_request"},
		{503, `{"error":{"code":"shutting_down","message":"the daemon is stopping"}}`, "shutting_down"},
	} {
		c := MustServe(t, map[string]http.HandlerFunc{
			"POST /v1/acquire": func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tc.status, tc.body) },
		})
		_, err := c.Acquire(context.Background(), client.AcquireRequest{Pool: "nope"})
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.Status != tc.status || ae.Code != tc.code {
			t.Errorf("HTTP %d: err = %v, want APIError code %s", tc.status, err, tc.code)
		}
		var d *client.Denied
		if errors.As(err, &d) {
			t.Errorf("HTTP %d: err = %v is a denial", tc.status, err)
		}
	}
}

func TestAcquireCancelAbortsWait(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	gone := make(chan struct{})
	c := MustServe(t, map[string]http.HandlerFunc{
		"POST /v1/acquire": func(w http.ResponseWriter, r *http.Request) {
			MustDecode(t, r) // the server only watches the connection once the body is read
			close(started)
			<-r.Context().Done() // the daemon notices the waiter left
			close(gone)
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	_, err := c.Acquire(ctx, client.AcquireRequest{Pool: "p", MaxWait: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	<-gone
}
