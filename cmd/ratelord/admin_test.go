package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestReload(t *testing.T) {
	t.Parallel()
	const body = `{"reloaded":true,"source":"/etc/ratelord/policy.yaml","pools":4}`
	u, rec := MustDaemon(t, map[string]http.HandlerFunc{"POST /v1/reload": reply(200, body)})
	r := runCLI(t, urlEnv(u), "reload")
	if want := "reloaded /etc/ratelord/policy.yaml: 4 pools\n"; r.code != exitOK || r.stdout != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
	}
	if r = runCLI(t, urlEnv(u), "reload", "--json"); r.code != exitOK || r.stdout != body+"\n" {
		t.Errorf("--json: exit %d, stdout %q", r.code, r.stdout)
	}
	if rec.count("POST /v1/reload") != 2 {
		t.Errorf("requests %q", rec.list())
	}
}

func TestReloadInvalidPolicy(t *testing.T) {
	t.Parallel()
	u, _ := MustDaemon(t, map[string]http.HandlerFunc{"POST /v1/reload": reply(422,
		`{"error":{"code":"invalid_policy","message":"policy.yaml is invalid; the old policy stays in force",`+
			`"findings":["policy.yaml:3: pools.x.window: bad duration \"1 m\"","policy.yaml:7: pools.y: unknown key \"colour\""]}}`)})
	r := runCLI(t, urlEnv(u), "reload")
	want := `ratelord: reload policy: invalid_policy: policy.yaml is invalid; the old policy stays in force (2 findings)
  policy.yaml:3: pools.x.window: bad duration "1 m"
  policy.yaml:7: pools.y: unknown key "colour"
`
	if r.code != exitError || r.stderr != want || r.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant 1 and:\n%s", r.code, r.stdout, r.stderr, want)
	}
}

func TestVersionWithDaemon(t *testing.T) {
	t.Parallel()
	const health = `{"status":"ok","version":"v0.3.0","uptime_seconds":3723.4}`
	u, _ := MustDaemon(t, map[string]http.HandlerFunc{"GET /healthz": reply(200, health)})
	r := runCLI(t, urlEnv(u), "version")
	want := "ratelord " + cliVersion() + "\nratelord-d v0.3.0 at " + u + " (up 1h2m3s)\n"
	if r.code != exitOK || r.stdout != want {
		t.Errorf("exit %d, stdout %q; want %q", r.code, r.stdout, want)
	}
	r = runCLI(t, urlEnv(u), "version", "--json")
	var got struct {
		Version string          `json:"version"`
		Daemon  json.RawMessage `json:"daemon"`
	}
	var daemon bytes.Buffer
	err := json.Unmarshal([]byte(r.stdout), &got)
	if err == nil {
		err = json.Compact(&daemon, got.Daemon)
	}
	if err != nil || got.Version != cliVersion() || daemon.String() != health {
		t.Errorf("--json: stdout %q (%v)", r.stdout, err)
	}
}

func TestVersionWithoutDaemon(t *testing.T) {
	t.Parallel()
	dead := MustDeadURL(t)
	r := runCLI(t, urlEnv(dead), "version")
	if r.code != exitOK || r.stdout != "ratelord "+cliVersion()+"\n" ||
		r.stderr != "ratelord-d: no answer at "+dead+": connection refused\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, urlEnv(dead), "--json", "version")
	if r.code != exitOK || !strings.Contains(r.stdout, `"daemon": null`) {
		t.Errorf("--json: exit %d, stdout %q", r.code, r.stdout)
	}
}
