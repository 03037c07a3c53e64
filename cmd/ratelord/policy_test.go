package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validPolicy = `pools:
  github-core:
    limit: 5000
    window: 1h
    algorithm: fixed
    upstream: github
  nightly:
    per: identity
    limit: 100
    window: 24h
upstreams:
  github:
    url: https://api.github.com
    dialect: github
    token_env: GITHUB_TOKEN
    routes:
      - {path: /, pools: {github-core: 1}}
`

const invalidPolicy = `pools:
  github-core:
    limit: 5000
    window: an hour
    colour: blue
`

// MustPolicyFile writes a policy file and returns its path.
func MustPolicyFile(tb testing.TB, name, body string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestPolicyCheckValid(t *testing.T) {
	t.Parallel()
	path := MustPolicyFile(t, "policy.yaml", validPolicy)
	env := map[string]string{"GITHUB_TOKEN": "ghp_secret"}
	r := runCLI(t, env, "policy", "check", path)
	if want := path + ": ok (2 pools, 1 upstreams)\n"; r.code != exitOK || r.stdout != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and %q", r.code, r.stdout, r.stderr, want)
	}
}

func TestPolicyCheckInvalid(t *testing.T) {
	t.Parallel()
	path := MustPolicyFile(t, "policy.yaml", invalidPolicy)
	r := runCLI(t, nil, "policy", "check", path)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != exitError || len(lines) < 2 {
		t.Fatalf("exit %d, stdout %q; want 1 and a line per finding", r.code, r.stdout)
	}
	for _, want := range []string{path + ":4: pools.github-core.window: ", path + ":5: pools.github-core"} {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, want)
		}
		if !found {
			t.Errorf("no finding starts with %q in:\n%s", want, r.stdout)
		}
	}
}

func TestPolicyCheckEnv(t *testing.T) {
	t.Parallel()
	path := MustPolicyFile(t, "policy.yaml", validPolicy)
	r := runCLI(t, nil, "policy", "check", path)
	if r.code != exitError || !strings.Contains(r.stdout, "upstreams.github.token_env: ") ||
		!strings.Contains(r.stdout, "GITHUB_TOKEN") || strings.Contains(r.stdout, ": ok (") {
		t.Errorf("exit %d, stdout %q; want 1 and a finding about GITHUB_TOKEN", r.code, r.stdout)
	}
	r = runCLI(t, nil, "policy", "check", "--no-env", path)
	if r.code != exitOK || r.stdout != path+": ok (2 pools, 1 upstreams)\n" {
		t.Errorf("--no-env: exit %d, stdout %q; want ok", r.code, r.stdout)
	}
}

func TestPolicyCheckMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nope.yaml")
	r := runCLI(t, nil, "policy", "check", path)
	if r.code != exitError || r.stdout != "" || !strings.Contains(r.stderr, path) {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and the path on stderr", r.code, r.stdout, r.stderr)
	}
}

func TestPolicyCheckJSON(t *testing.T) {
	t.Parallel()
	path := MustPolicyFile(t, "policy.yaml", invalidPolicy)
	r := runCLI(t, nil, "--json", "policy", "check", path)
	var rep policyReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout %q: %v", r.stdout, err)
	}
	if r.code != exitError || rep.Valid || rep.File != path || len(rep.Findings) < 2 {
		t.Errorf("exit %d, report %+v", r.code, rep)
	}
}

func TestPolicyCheckNeedsNoDaemon(t *testing.T) {
	t.Parallel()
	path := MustPolicyFile(t, "policy.yaml", validPolicy)
	env := map[string]string{"RATELORD_URL": "not a url", "GITHUB_TOKEN": "x"}
	if r := runCLI(t, env, "policy", "check", path); r.code != exitOK {
		t.Errorf("exit %d, stderr %q; a bad RATELORD_URL must not matter", r.code, r.stderr)
	}
}
