package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
)

func governorQuery(typ string) governor.EventQuery {
	return governor.EventQuery{Type: governor.EventType(typ), Limit: 100}
}

// cli runs the built ratelord CLI against url and returns its stdout,
// stderr and exit code.
func cli(tb testing.TB, url string, args ...string) (string, string, int) {
	tb.Helper()
	cmd := exec.Command(filepath.Join(bin, "ratelord"), append([]string{"--url", url}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		tb.Fatalf("run ratelord %v: %v", args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// TestCLIAgainstTheDaemon drives every CLI command against a real daemon.
func TestCLIAgainstTheDaemon(t *testing.T) {
	t.Parallel()
	m := MustMain(t, "pools:\n  ci: {limit: 2, window: 1h, concurrency: 1}\n  tok: {unit: tokens, limit: 100, window: 1h}\n")
	url := "http://" + m.Addr()

	out, _, code := cli(t, url, "acquire", "tok", "--cost", "60", "--identity", "job-1")
	lease := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(lease, "l_") {
		t.Fatalf("acquire: exit %d, out %q", code, out)
	}
	if _, errs, code := cli(t, url, "acquire", "tok", "--cost", "50"); code != 3 || !strings.Contains(errs, "denied: quota_exhausted") {
		t.Fatalf("denied acquire: exit %d, stderr %q", code, errs)
	}
	if _, errs, code := cli(t, url, "settle", lease, "10"); code != 0 {
		t.Fatalf("settle: exit %d %s", code, errs)
	}
	if _, _, code := cli(t, url, "release", lease); code != 1 {
		t.Fatalf("release of a settled lease: exit %d, want 1", code)
	}
	out, _, code = cli(t, url, "status", "tok")
	if code != 0 || !strings.Contains(out, "10/100") {
		t.Fatalf("status after settling 60 down to 10: exit %d\n%s", code, out)
	}

	// exec passes the command's exit code through and releases its lease.
	if _, _, code := cli(t, url, "exec", "ci", "--", "sh", "-c", "exit 7"); code != 7 {
		t.Fatalf("exec exit code %d, want 7", code)
	}
	if st, _ := m.Governor.Pool("ci", ""); st.LeasesOpen != 0 || st.Used != 1 {
		t.Fatalf("after exec: %+v, want the lease released and its charge kept", st)
	}
	out, _, code = cli(t, url, "exec", "ci", "--", "sh", "-c", "echo ran with $RATELORD_LEASE_ID")
	if code != 0 || !strings.Contains(out, "ran with l_") {
		t.Fatalf("exec: exit %d, out %q", code, out)
	}
	if _, errs, code := cli(t, url, "exec", "ci", "--wait", "0s", "--", "true"); code != 3 || !strings.Contains(errs, "quota_exhausted") {
		t.Fatalf("exec past the limit: exit %d, stderr %q", code, errs)
	}

	if _, _, code := cli(t, url, "reload"); code != 0 {
		t.Fatalf("reload: exit %d", code)
	}
	out, _, code = cli(t, url, "events", "--type", "grant")
	if code != 0 || strings.Count(out, "grant") < 3 {
		t.Fatalf("events: exit %d\n%s", code, out)
	}
	if _, errs, code := cli(t, "http://127.0.0.1:1", "status"); code != 1 || !strings.Contains(errs, "cannot reach") {
		t.Fatalf("unreachable daemon: exit %d, stderr %q", code, errs)
	}
}

func TestCLIPolicyCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bad.yaml"), "pools:\n  p: {limit: -1, window: 1m}\n")
	out, _, code := cli(t, "http://127.0.0.1:1", "policy", "check", filepath.Join(dir, "bad.yaml"))
	if code != 1 || !strings.Contains(out, "bad.yaml:2: pools.p.limit") {
		t.Fatalf("policy check: exit %d\n%s", code, out)
	}
	out, _, code = cli(t, "http://127.0.0.1:1", "policy", "check", "../../policy.yaml")
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("policy check of the example: exit %d\n%s", code, out)
	}
}

// TestCLIExecWaitsForItsSlot: exec holds the command until the pool has room.
func TestCLIExecWaitsForItsSlot(t *testing.T) {
	t.Parallel()
	m := MustMain(t, "pools:\n  slow: {limit: 1, window: 300ms}\n")
	url := "http://" + m.Addr()
	if _, _, code := cli(t, url, "acquire", "slow"); code != 0 {
		t.Fatal("first acquire denied")
	}
	out, _, code := cli(t, url, "exec", "slow", "--wait", "10s", "--", "echo", "done")
	if code != 0 || strings.TrimSpace(out) != "done" {
		t.Fatalf("exec: exit %d, out %q", code, out)
	}
	// The audit log shows the second grant's slot a full window after the first.
	evs, _ := m.Store.Events(t.Context(), governorQuery("grant"))
	if len(evs) != 2 || evs[1].Time.Sub(evs[0].Time) < 300*time.Millisecond {
		t.Fatalf("grants: %+v", evs)
	}
}

// TestCLIHealth: `ratelord health [--ready]` is what container checks and
// Kubernetes exec probes run.
func TestCLIHealth(t *testing.T) {
	t.Parallel()
	m := MustMain(t, "pools:\n  p: {limit: 1, window: 1s}\n")
	url := "http://" + m.Addr()
	if out, _, code := cli(t, url, "health"); code != 0 || !strings.HasPrefix(out, "ok: ratelord-d") {
		t.Fatalf("health: exit %d, %q", code, out)
	}
	if out, _, code := cli(t, url, "health", "--ready"); code != 0 || !strings.Contains(out, "ready: policy=ok, shutdown=ok, store=ok") {
		t.Fatalf("health --ready: exit %d, %q", code, out)
	}
	m.Server.SetShuttingDown()
	if out, errs, code := cli(t, url, "health", "--ready"); code != 1 || !strings.Contains(out, "not ready") {
		t.Fatalf("health --ready while stopping: exit %d, %q %q", code, out, errs)
	}
	if _, _, code := cli(t, "http://127.0.0.1:1", "health"); code != 1 {
		t.Fatalf("health with no daemon: exit %d", code)
	}
}
