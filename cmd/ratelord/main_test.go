package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// result is what one run of the CLI produced.
type result struct {
	code           int
	stdout, stderr string
}

// recorder keeps the requests a fake daemon received, as "METHOD /path".
type recorder struct {
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, s)
}

// list returns the requests received so far.
func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

// count returns how many requests matched "METHOD /path".
func (r *recorder) count(req string) int {
	n := 0
	for _, s := range r.list() {
		if s == req {
			n++
		}
	}
	return n
}

// MustDaemon starts a fake ratelord-d answering with routes (keyed by
// http.ServeMux pattern) and returns its URL and a recorder of the requests.
func MustDaemon(tb testing.TB, routes map[string]http.HandlerFunc) (string, *recorder) {
	tb.Helper()
	mux := http.NewServeMux()
	for pattern, h := range routes {
		mux.HandleFunc(pattern, h)
	}
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r.Method + " " + r.URL.Path)
		mux.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL, rec
}

// MustDeadURL returns the URL of a port where nothing listens.
func MustDeadURL(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// reply answers with status and a JSON body sent as is.
func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// newCLI returns a cli like run's, with env as the environment, a fixed
// clock reading for status output, and fast polling.
func newCLI(env map[string]string, stdout, stderr io.Writer) *cli {
	c := &cli{
		stdin: strings.NewReader(""), stdout: stdout, stderr: stderr,
		getenv:     func(k string) string { return env[k] },
		notify:     func(chan<- os.Signal, ...os.Signal) {},
		stopNotify: func(chan<- os.Signal) {},
		now:        time.Now, sleep: sleepCtx,
	}
	return c
}

// runCLI runs the CLI through run, as main does.
func runCLI(tb testing.TB, env map[string]string, args ...string) result {
	tb.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return result{code, out.String(), errb.String()}
}

// urlEnv is an environment that points the CLI at url.
func urlEnv(url string) map[string]string { return map[string]string{"RATELORD_URL": url} }

func TestUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string // a substring of stdout
		stderr string // a substring of stderr
	}{
		{nil, exitUsage, "", "usage: ratelord [--url URL]"},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"--bogus", "status"}, exitUsage, "", "flag provided but not defined: -bogus"},
		{[]string{"help"}, exitOK, "exec", ""},
		{[]string{"--help"}, exitOK, "commands:", ""},
		{[]string{"help", "acquire"}, exitOK, "-priority", ""},
		{[]string{"acquire", "-h"}, exitOK, "usage: ratelord acquire POOL", ""},
		{[]string{"help", "nope"}, exitUsage, "", `unknown command "nope"`},
		{[]string{"status", "a", "b"}, exitUsage, "", "ratelord status: want at most one POOL"},
		{[]string{"status", "--bogus"}, exitUsage, "", "usage: ratelord status [POOL]"},
		{[]string{"acquire"}, exitUsage, "", "want exactly one POOL"},
		{[]string{"acquire", "p", "--cost", "-2"}, exitUsage, "", "--cost -2: want 0 or more units"},
		{[]string{"acquire", "p", "--wait", "soon"}, exitUsage, "", `invalid value "soon" for flag -wait`},
		{[]string{"settle", "lease-1"}, exitUsage, "", "want a LEASE and its COST"},
		{[]string{"settle", "lease-1", "lots"}, exitUsage, "", `COST "lots": want a whole number`},
		{[]string{"release"}, exitUsage, "", "want exactly one LEASE"},
		{[]string{"exec", "p", "true"}, exitUsage, "", "want exactly one POOL before --"},
		{[]string{"exec", "p"}, exitUsage, "", "want -- and the command"},
		{[]string{"events", "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{[]string{"policy", "lint", "x.yaml"}, exitUsage, "", `want "check FILE"`},
		{[]string{"reload", "now"}, exitUsage, "", `unexpected argument "now"`},
		{[]string{"--url", "127.0.0.1:8090", "status"}, exitUsage, "", `bad --url "127.0.0.1:8090"`},
	} {
		r := runCLI(t, nil, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("ratelord %q: exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, stdout with %q, stderr with %q",
				tc.args, r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
		}
	}
}
