package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

func TestSettle(t *testing.T) {
	t.Parallel()
	var got []map[string]any
	url, rec := MustDaemon(t, map[string]http.HandlerFunc{
		"POST /v1/leases/{id}/settle": func(w http.ResponseWriter, r *http.Request) {
			var m map[string]any
			json.NewDecoder(r.Body).Decode(&m)
			got = append(got, m)
			reply(200, `{"lease_id":"`+r.PathValue("id")+`","settled":true}`)(w, r)
		},
	})
	r := runCLI(t, urlEnv(url), "settle", "lease-1", "0")
	if r.code != exitOK || r.stdout != "settled lease-1\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, urlEnv(url), "settle", "lease-2", "openai-requests=1", "openai-tokens=812")
	if r.code != exitOK || r.stdout != "settled lease-2\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	want := []map[string]any{{"cost": 0.0}, {"pools": map[string]any{"openai-requests": 1.0, "openai-tokens": 812.0}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
	if rec.count("POST /v1/leases/lease-1/settle") != 1 {
		t.Errorf("requests = %q", rec.list())
	}
}

func TestSettleUnknownLease(t *testing.T) {
	t.Parallel()
	url, _ := MustDaemon(t, map[string]http.HandlerFunc{
		"POST /v1/leases/{id}/settle": reply(404, `{"error":{"code":"unknown_lease","message":"lease l9 is closed or expired"}}`),
	})
	r := runCLI(t, urlEnv(url), "settle", "l9", "1")
	want := "ratelord: settle lease l9: unknown_lease: lease l9 is closed or expired\n"
	if r.code != exitError || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
}

func TestRelease(t *testing.T) {
	t.Parallel()
	const body = `{"lease_id":"lease-1","released":true}`
	url, rec := MustDaemon(t, map[string]http.HandlerFunc{"DELETE /v1/leases/{id}": reply(200, body)})
	r := runCLI(t, urlEnv(url), "release", "lease-1")
	if r.code != exitOK || r.stdout != "released lease-1\n" || rec.count("DELETE /v1/leases/lease-1") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q, requests %q", r.code, r.stdout, r.stderr, rec.list())
	}
	r = runCLI(t, urlEnv(url), "release", "--json", "lease-1")
	if r.code != exitOK || r.stdout != body+"\n" {
		t.Errorf("--json: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestReleaseUnknownLease(t *testing.T) {
	t.Parallel()
	const body = `{"error":{"code":"unknown_lease","message":"lease l9 is closed or expired"}}`
	url, _ := MustDaemon(t, map[string]http.HandlerFunc{"DELETE /v1/leases/{id}": reply(404, body)})
	r := runCLI(t, urlEnv(url), "--json", "release", "l9")
	want := "ratelord: release lease l9: unknown_lease: lease l9 is closed or expired\n"
	if r.code != exitError || r.stderr != want || r.stdout != body+"\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, the body, %q", r.code, r.stdout, r.stderr, want)
	}
}
