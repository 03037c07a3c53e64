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

func TestReload(t *testing.T) {
	t.Parallel()
	c := MustServe(t, map[string]http.HandlerFunc{
		"POST /v1/reload": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"reloaded":true,"source":"/etc/ratelord/policy.yaml","pools":4}`)
		},
	})
	res, err := c.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (client.ReloadResult{Source: "/etc/ratelord/policy.yaml", Pools: 4}); *res != want {
		t.Errorf("result = %+v, want %+v", *res, want)
	}
}

func TestReloadInvalidPolicy(t *testing.T) {
	t.Parallel()
	c := MustServe(t, map[string]http.HandlerFunc{
		"POST /v1/reload": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 422, `{"error":{"code":"invalid_policy","message":"policy.yaml is invalid; the old policy stays",
				"findings":["policy.yaml:3: pools.x.window: bad duration","policy.yaml:9: pools.y: unknown key"]}}`)
		},
	})
	_, err := c.Reload(context.Background())
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	want := []string{"policy.yaml:3: pools.x.window: bad duration", "policy.yaml:9: pools.y: unknown key"}
	if ae.Status != 422 || ae.Code != client.CodeInvalidPolicy || !reflect.DeepEqual(ae.Findings, want) {
		t.Errorf("APIError = %+v", ae)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	c := MustServe(t, map[string]http.HandlerFunc{
		"GET /healthz": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, `{"status":"ok","version":"v0.3.0","uptime_seconds":90.5}`)
		},
	})
	h, err := c.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (client.Health{Status: "ok", Version: "v0.3.0", Uptime: 90500 * time.Millisecond}); *h != want {
		t.Errorf("health = %+v, want %+v", *h, want)
	}
}

func TestReady(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		body   string
		ready  bool
	}{
		{200, `{"status":"ready","checks":{"store":"ok"}}`, true},
		{503, `{"status":"not ready","checks":{"store":"database is locked"}}`, false},
	} {
		c := MustServe(t, map[string]http.HandlerFunc{
			"GET /readyz": func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tc.status, tc.body) },
		})
		r, err := c.Ready(context.Background())
		if err != nil {
			t.Fatalf("HTTP %d: %v", tc.status, err)
		}
		if r.Ready != tc.ready || len(r.Checks) != 1 {
			t.Errorf("HTTP %d: readiness = %+v", tc.status, r)
		}
	}
}
