package client_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/ratelord/ratelord/client"
)

func TestSettleSendsCost(t *testing.T) {
	t.Parallel()
	var path string
	var got map[string]any
	c := MustServe(t, map[string]http.HandlerFunc{
		"POST /v1/leases/{id}/settle": func(w http.ResponseWriter, r *http.Request) {
			path = r.PathValue("id")
			got = MustDecode(t, r)
			writeJSON(w, 200, `{"lease_id":"l/1","settled":true}`)
		},
	})
	if err := c.Settle(context.Background(), "l/1", 0); err != nil {
		t.Fatal(err)
	}
	if path != "l/1" {
		t.Errorf("lease id on the server = %q, want %q", path, "l/1")
	}
	if want := map[string]any{"cost": 0.0}; !reflect.DeepEqual(got, want) {
		t.Errorf("request = %v, want %v (a zero cost must be sent)", got, want)
	}
}

func TestSettlePoolsSendsPools(t *testing.T) {
	t.Parallel()
	var got map[string]any
	c := MustServe(t, map[string]http.HandlerFunc{
		"POST /v1/leases/{id}/settle": func(w http.ResponseWriter, r *http.Request) {
			got = MustDecode(t, r)
			writeJSON(w, 200, `{"lease_id":"l1","settled":true}`)
		},
	})
	if err := c.SettlePools(context.Background(), "l1", map[string]int64{"openai-tokens": 812}); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"pools": map[string]any{"openai-tokens": 812.0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("request = %v, want %v", got, want)
	}
}

func TestReleaseDeletesLease(t *testing.T) {
	t.Parallel()
	var released string
	c := MustServe(t, map[string]http.HandlerFunc{
		"DELETE /v1/leases/{id}": func(w http.ResponseWriter, r *http.Request) {
			released = r.PathValue("id")
			writeJSON(w, 200, `{"lease_id":"l1","released":true}`)
		},
	})
	if err := c.Release(context.Background(), "l1"); err != nil {
		t.Fatal(err)
	}
	if released != "l1" {
		t.Errorf("released %q, want l1", released)
	}
}

func TestUnknownLease(t *testing.T) {
	t.Parallel()
	unknown := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, `{"error":{"code":"unknown_lease","message":"lease l9 is closed or expired"}}`)
	}
	c := MustServe(t, map[string]http.HandlerFunc{
		"POST /v1/leases/{id}/settle": unknown,
		"DELETE /v1/leases/{id}":      unknown,
	})
	for name, err := range map[string]error{
		"settle":  c.Settle(context.Background(), "l9", 1),
		"release": c.Release(context.Background(), "l9"),
	} {
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.Code != client.CodeUnknownLease || ae.Status != 404 {
			t.Errorf("%s: err = %v, want unknown_lease", name, err)
		}
	}
}
