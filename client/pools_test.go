package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/ratelord/ratelord/client"
)

const poolJSON = `{"pool":"openai-requests","identity":"","unit":"requests","limit":500,"window":"1m",
	"algorithm":"bucket","used":20,"remaining":480,"reset_at":"2025-03-01T12:00:05.5Z","leases_open":3,
	"concurrency":10,"forecast":null,"limits":[
	{"limit":500,"window":"1m","algorithm":"bucket","used":20,"remaining":480,"reset_at":"2025-03-01T12:00:05.5Z"},
	{"limit":10000,"window":"24h0m0s","algorithm":"sliding","used":900,"remaining":9100,"reset_at":"2025-03-02T00:00:00Z"}]}`

func wantPool() client.PoolState {
	reset := time.Date(2025, 3, 1, 12, 0, 5, 5e8, time.UTC)
	return client.PoolState{
		Pool: "openai-requests", Unit: "requests", Limit: 500, Window: time.Minute,
		Algorithm: "bucket", Used: 20, Remaining: 480, ResetAt: reset, LeasesOpen: 3, Concurrency: 10,
		Limits: []client.LimitState{
			{Limit: 500, Window: time.Minute, Algorithm: "bucket", Used: 20, Remaining: 480, ResetAt: reset},
			{Limit: 10000, Window: 24 * time.Hour, Algorithm: "sliding", Used: 900, Remaining: 9100,
				ResetAt: time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)},
		},
	}
}

func TestPoolsDecodesPoolState(t *testing.T) {
	t.Parallel()
	c := MustServe(t, map[string]http.HandlerFunc{
		"GET /v1/pools": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"pools":[`+poolJSON+`,{"pool":"nightly","identity":"ci","limit":100,"window":"24h","reset_at":""}]}`)
		},
	})
	pools, err := c.Pools(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pools) != 2 {
		t.Fatalf("got %d pools, want 2", len(pools))
	}
	if !reflect.DeepEqual(pools[0], wantPool()) {
		t.Errorf("pool = %+v\nwant   %+v", pools[0], wantPool())
	}
	if p := pools[1]; p.Identity != "ci" || p.Window != 24*time.Hour || !p.ResetAt.IsZero() {
		t.Errorf("pool = %+v", p)
	}
}

func TestPoolByNameAndIdentity(t *testing.T) {
	t.Parallel()
	var name, identity string
	c := MustServe(t, map[string]http.HandlerFunc{
		"GET /v1/pools/{name}": func(w http.ResponseWriter, r *http.Request) {
			name, identity = r.PathValue("name"), r.URL.Query().Get("identity")
			writeJSON(w, 200, poolJSON)
		},
	})
	p, err := c.Pool(context.Background(), "openai-requests", "agent 7")
	if err != nil {
		t.Fatal(err)
	}
	if name != "openai-requests" || identity != "agent 7" {
		t.Errorf("server saw pool %q identity %q", name, identity)
	}
	if !reflect.DeepEqual(*p, wantPool()) {
		t.Errorf("pool = %+v", *p)
	}
}

func TestPoolUnknown(t *testing.T) {
	t.Parallel()
	c := MustServe(t, map[string]http.HandlerFunc{
		"GET /v1/pools/{name}": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 404, `{"error":{"code":"unknown_pool","message":"no pool named \"nope\""}}`)
		},
	})
	_, err := c.Pool(context.Background(), "nope", "")
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != client.CodeUnknownPool {
		t.Errorf("err = %v, want unknown_pool", err)
	}
}

func TestPoolBadWindowIsAnError(t *testing.T) {
	t.Parallel()
	c := MustServe(t, map[string]http.HandlerFunc{
		"GET /v1/pools/{name}": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"pool":"p","window":"a minute"}`)
		},
	})
	if _, err := c.Pool(context.Background(), "p", ""); err == nil {
		t.Error("a window that is not a Go duration decoded without error")
	}
}

func TestPoolStateJSONRoundTrip(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(wantPool())
	if err != nil {
		t.Fatal(err)
	}
	var back client.PoolState
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, wantPool()) {
		t.Errorf("round trip through %s gave %+v", b, back)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	if m["window"] != "1m0s" || m["reset_at"] != "2025-03-01T12:00:05.5Z" || m["leases_open"] != 3.0 {
		t.Errorf("wire form %s: want Go durations, RFC 3339 times and snake_case keys", b)
	}
}
