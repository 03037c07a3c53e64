package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// execDaemon is a fake daemon for exec: acquires get the answers in turn
// (the last one repeats), and every request notes whether the command has
// run yet, which it tells from a marker file the command creates.
type execDaemon struct {
	url    string
	rec    *recorder
	marker string

	mu       sync.Mutex
	maxWaits []string
	ranAt    []string // "acquire:false", "release:true", ...
}

type answer struct {
	status int
	body   string
}

func newExecDaemon(t *testing.T, answers ...answer) *execDaemon {
	t.Helper()
	d := &execDaemon{marker: filepath.Join(t.TempDir(), "ran")}
	n := 0
	note := func(what string) {
		_, err := os.Stat(d.marker)
		d.mu.Lock()
		defer d.mu.Unlock()
		d.ranAt = append(d.ranAt, what+":"+map[bool]string{true: "ran", false: "not yet"}[err == nil])
	}
	d.url, d.rec = MustDaemon(t, map[string]http.HandlerFunc{
		"POST /v1/acquire": func(w http.ResponseWriter, r *http.Request) {
			var req struct {
				MaxWait string `json:"max_wait"`
			}
			json.NewDecoder(r.Body).Decode(&req)
			note("acquire")
			d.mu.Lock()
			d.maxWaits = append(d.maxWaits, req.MaxWait)
			a := answers[min(n, len(answers)-1)]
			n++
			d.mu.Unlock()
			reply(a.status, a.body)(w, r)
		},
		"DELETE /v1/leases/{id}": func(w http.ResponseWriter, r *http.Request) {
			note("release")
			reply(200, `{"lease_id":"`+r.PathValue("id")+`","released":true}`)(w, r)
		},
		"POST /v1/leases/{id}/settle": func(w http.ResponseWriter, r *http.Request) {
			note("settle")
			reply(200, `{"lease_id":"`+r.PathValue("id")+`","settled":true}`)(w, r)
		},
	})
	return d
}

func (d *execDaemon) log() (maxWaits, ranAt []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.maxWaits...), append([]string(nil), d.ranAt...)
}

var (
	granted = answer{200, `{"granted":true,"lease_id":"lease-1","waited_ms":0,"pools":[]}`}
	denied  = answer{429, `{"granted":false,"reason":"quota_exhausted","message":"0 of 10 left","retry_after_ms":20}`}
	later   = answer{429, `{"granted":false,"reason":"quota_exhausted","message":"0 of 10 left","retry_after_ms":3600000}`}
)

func TestExecPassesExitCodeAndReleases(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		script string
		code   int
	}{
		{"echo out; echo err >&2; exit 7", 7},
		{"echo out; echo err >&2", 0},
		{"echo out; echo err >&2; kill -TERM $$", 128 + 15},
	} {
		d := newExecDaemon(t, granted)
		script := "touch '" + d.marker + "'; " + tc.script
		r := runCLI(t, urlEnv(d.url), "exec", "p", "--", "sh", "-c", script)
		if r.code != tc.code || r.stdout != "out\n" || r.stderr != "err\n" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d, the command's output", tc.script, r.code, r.stdout, r.stderr, tc.code)
		}
		maxWaits, ranAt := d.log()
		if want := "acquire:not yet release:ran"; strings.Join(ranAt, " ") != want {
			t.Errorf("%q: daemon saw %q, want %q", tc.script, ranAt, want)
		}
		if len(maxWaits) != 1 || maxWaits[0] != "1m0s" {
			t.Errorf("%q: max_wait sent %q, want one 1m0s (the 60s cap of the 10m default)", tc.script, maxWaits)
		}
	}
}

func TestExecSeesLease(t *testing.T) {
	t.Parallel()
	d := newExecDaemon(t, granted)
	r := runCLI(t, urlEnv(d.url), "exec", "p", "--", "sh", "-c", `echo "$RATELORD_LEASE_ID $RATELORD_URL"`)
	if want := "lease-1 " + d.url + "\n"; r.code != exitOK || r.stdout != want {
		t.Errorf("exit %d, stdout %q; want %q", r.code, r.stdout, want)
	}
}

func TestExecRetriesDenialThenRuns(t *testing.T) {
	t.Parallel()
	d := newExecDaemon(t, denied, denied, granted)
	var out, errb bytes.Buffer
	c := newCLI(urlEnv(d.url), &out, &errb)
	var slept []time.Duration // guarded by the sequence: sleeps happen between acquires
	c.sleep = func(ctx context.Context, dur time.Duration) error {
		slept = append(slept, dur)
		return sleepCtx(ctx, dur)
	}
	code := c.main([]string{"exec", "p", "--wait", "5s", "--", "sh", "-c", "touch '" + d.marker + "'"})
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if want := []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}; !slices.Equal(slept, want) {
		t.Errorf("slept %v between acquires, want the retry time each: %v", slept, want)
	}
	maxWaits, ranAt := d.log()
	want := "acquire:not yet acquire:not yet acquire:not yet release:ran"
	if strings.Join(ranAt, " ") != want {
		t.Errorf("daemon saw %q, want %q", ranAt, want)
	}
	for i, mw := range maxWaits {
		d, err := time.ParseDuration(mw)
		if err != nil || d > 5*time.Second || i == 0 && d != 5*time.Second || d%time.Millisecond != 0 {
			t.Errorf("max_wait %q of request %d: want the wait left, at most 5s, in whole ms", mw, i)
		}
	}
	if !strings.HasPrefix(errb.String(), "ratelord: waiting for p (quota_exhausted), up to ") {
		t.Errorf("stderr %q: want a note that it waits", errb.String())
	}
}

func TestExecWaitRunsOut(t *testing.T) {
	t.Parallel()
	d := newExecDaemon(t, later)
	r := runCLI(t, urlEnv(d.url), "exec", "p", "--wait", "2s", "--", "sh", "-c", "touch "+d.marker)
	want := "denied: quota_exhausted: 0 of 10 left; retry in 1h0m0s\n"
	if r.code != exitDenied || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 3 and %q", r.code, r.stderr, want)
	}
	maxWaits, ranAt := d.log()
	if strings.Join(ranAt, " ") != "acquire:not yet" || len(maxWaits) != 1 || maxWaits[0] != "2s" {
		t.Errorf("daemon saw %q with max_wait %q; want one acquire with 2s and no release", ranAt, maxWaits)
	}
}

func TestExecCommandNotFound(t *testing.T) {
	t.Parallel()
	d := newExecDaemon(t, granted)
	r := runCLI(t, urlEnv(d.url), "exec", "p", "--", "no-such-command-ratelord-test")
	want := "ratelord: no-such-command-ratelord-test: command not found (check the name and PATH)\n"
	if r.code != exitNotFound || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 127 and %q", r.code, r.stderr, want)
	}
	if reqs := d.rec.list(); len(reqs) != 0 {
		t.Errorf("requests %q: nothing should be acquired for a missing command", reqs)
	}
}

func TestExecCannotRunRefunds(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "not-a-program")
	if err := os.WriteFile(bad, []byte{0x7f, 0x00, 0x01, 0x02}, 0o755); err != nil {
		t.Fatal(err)
	}
	d := newExecDaemon(t, granted)
	r := runCLI(t, urlEnv(d.url), "exec", "p", "--", bad)
	if r.code != exitCannotRun || !strings.Contains(r.stderr, "cannot run") {
		t.Errorf("exit %d, stderr %q; want 126", r.code, r.stderr)
	}
	if d.rec.count("POST /v1/leases/lease-1/settle") != 1 {
		t.Errorf("requests %q: want the grant refunded with settle", d.rec.list())
	}
}
