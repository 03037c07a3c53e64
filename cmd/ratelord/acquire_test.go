package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

// captureAcquire answers every acquire with status and body and keeps the
// decoded requests.
func captureAcquire(t *testing.T, status int, body string, header map[string]string) (string, *[]map[string]any) {
	t.Helper()
	var got []map[string]any
	url, _ := MustDaemon(t, map[string]http.HandlerFunc{
		"POST /v1/acquire": func(w http.ResponseWriter, r *http.Request) {
			var m map[string]any
			if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
				t.Errorf("decode acquire: %v", err)
			}
			got = append(got, m)
			for k, v := range header {
				w.Header().Set(k, v)
			}
			reply(status, body)(w, r)
		},
	})
	return url, &got
}

func TestAcquireGranted(t *testing.T) {
	t.Parallel()
	url, got := captureAcquire(t, 200, `{"granted":true,"lease_id":"lease-42","waited_ms":1200,"pools":[]}`, nil)
	r := runCLI(t, urlEnv(url), "acquire", "github-core", "--cost", "3", "--identity", "crawler-1",
		"--priority", "low", "--wait", "30s", "--ttl", "2m")
	if r.code != exitOK || r.stdout != "lease-42\n" || r.stderr != "waited 1.2s\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0, the lease id, the wait", r.code, r.stdout, r.stderr)
	}
	want := map[string]any{"pool": "github-core", "cost": 3.0, "identity": "crawler-1", "priority": "low",
		"max_wait": "30s", "lease_ttl": "2m0s"}
	if len(*got) != 1 || !reflect.DeepEqual((*got)[0], want) {
		t.Errorf("requests = %v, want one %v", *got, want)
	}
}

func TestAcquireZeroCostUsesPools(t *testing.T) {
	t.Parallel()
	url, got := captureAcquire(t, 200, `{"granted":true,"lease_id":"l0","waited_ms":0,"pools":[]}`, nil)
	r := runCLI(t, urlEnv(url), "acquire", "gpu-slots", "--cost", "0")
	want := map[string]any{"pools": map[string]any{"gpu-slots": 0.0}}
	if r.code != exitOK || len(*got) != 1 || !reflect.DeepEqual((*got)[0], want) {
		t.Errorf("exit %d, requests %v; want 0 and %v", r.code, *got, want)
	}
}

func TestAcquireDenied(t *testing.T) {
	t.Parallel()
	const body = `{"granted":false,"reason":"quota_exhausted","message":"github-core: 0 of 5000 left until 13:00",` +
		`"retry_after_ms":1500,"pools":[]}`
	url, _ := captureAcquire(t, 429, body, map[string]string{"Retry-After": "2"})
	r := runCLI(t, urlEnv(url), "acquire", "github-core")
	want := "denied: quota_exhausted: github-core: 0 of 5000 left until 13:00; retry in 1.5s\n"
	if r.code != exitDenied || r.stdout != "" || r.stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 3 and %q", r.code, r.stdout, r.stderr, want)
	}
	r = runCLI(t, urlEnv(url), "--json", "acquire", "github-core")
	if r.code != exitDenied || r.stdout != body+"\n" || r.stderr != want {
		t.Errorf("--json: exit %d, stdout %q, stderr %q; want 3, the body, the denial", r.code, r.stdout, r.stderr)
	}
}

func TestAcquireStoreUnavailable(t *testing.T) {
	t.Parallel()
	url, _ := captureAcquire(t, 503, `{"granted":false,"reason":"store_unavailable","message":"redis unreachable",`+
		`"retry_after_ms":1000}`, nil)
	r := runCLI(t, urlEnv(url), "acquire", "p")
	if want := "denied: store_unavailable: redis unreachable; retry in 1s\n"; r.code != exitDenied || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 3 and %q", r.code, r.stderr, want)
	}
}

func TestAcquireJSONGrant(t *testing.T) {
	t.Parallel()
	const body = `{"granted":true,"lease_id":"lease-7","waited_ms":0,"pools":[]}`
	url, _ := captureAcquire(t, 200, body, nil)
	r := runCLI(t, urlEnv(url), "acquire", "p", "--json")
	if r.code != exitOK || r.stdout != body+"\n" {
		t.Errorf("exit %d, stdout %q; want 0 and the body", r.code, r.stdout)
	}
}

func TestAcquireBadRequest(t *testing.T) {
	t.Parallel()
	url, _ := captureAcquire(t, 400, `{"error":{"code":"bad_request","message":"priority \"urgent\": want critical, high, normal or low"}}`, nil)
	r := runCLI(t, urlEnv(url), "acquire", "p", "--priority", "urgent")
	want := "ratelord: acquire: bad_request: priority \"urgent\": want critical, high, normal or low\n"
	if r.code != exitError || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
}
