package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type poolState struct {
	Pool       string `json:"pool"`
	Limit      int64  `json:"limit"`
	Used       int64  `json:"used"`
	Remaining  int64  `json:"remaining"`
	LeasesOpen int    `json:"leases_open"`
}

// TestKill9KeepsEveryAcknowledgedGrant grants under load, kills the daemon
// with SIGKILL, restarts it on the same database and checks that every
// grant a client saw acknowledged still counts.
func TestKill9KeepsEveryAcknowledgedGrant(t *testing.T) {
	t.Parallel()
	for _, sync := range []string{"full", "normal"} {
		t.Run(sync, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "policy.yaml"), "pools:\n  big: {limit: 1000000, window: 1h}\n")
			args := []string{"--config", "policy.yaml", "--db", "r.db", "--sync", sync}
			p := startDaemon(t, dir, args...)
			acked, stop := hammer(t, p.url, 16)
			for acked() < 300 {
				time.Sleep(5 * time.Millisecond)
			}
			p.cmd.Process.Signal(syscall.SIGKILL)
			p.wait(t)
			n := stop()
			p2 := startDaemon(t, dir, args...)
			var st poolState
			do(t, "GET", p2.url+"/v1/pools/big", "", &st)
			if st.Used < int64(n) {
				t.Fatalf("after kill -9: used %d, but %d grants were acknowledged", st.Used, n)
			}
			if st.LeasesOpen != int(st.Used) {
				t.Fatalf("open leases %d, want one per grant (%d)", st.LeasesOpen, st.Used)
			}
			t.Logf("%d acknowledged, %d restored", n, st.Used)
		})
	}
}

// hammer acquires from pool big with n clients until stop is called; it
// counts the grants acknowledged with 200.
func hammer(tb testing.TB, url string, n int) (acked func() int, stop func() int) {
	var mu sync.Mutex
	count, done := 0, make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				req := strings.NewReader(`{"pool":"big","lease_ttl":"1h"}`)
				resp, err := httpPost(url+"/v1/acquire", req)
				if err != nil {
					return // the daemon is gone
				}
				if resp == 200 {
					mu.Lock()
					count++
					mu.Unlock()
				}
			}
		}()
	}
	get := func() int { mu.Lock(); defer mu.Unlock(); return count }
	return get, func() int { close(done); wg.Wait(); return get() }
}

func TestSIGHUPReloadsOrKeepsTheOldPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "policy.yaml")
	writeFile(t, cfg, "pools:\n  p: {limit: 2, window: 1h}\n")
	p := startDaemon(t, dir, "--config", cfg, "--db", "r.db")
	do(t, "POST", p.url+"/v1/acquire", `{"pool":"p"}`, nil)
	do(t, "POST", p.url+"/v1/acquire", `{"pool":"p"}`, nil)
	if code := do(t, "POST", p.url+"/v1/acquire", `{"pool":"p"}`, nil); code != 429 {
		t.Fatalf("third acquire: %d", code)
	}

	writeFile(t, cfg, "pools:\n  p: {limit: 3, window: 1h}\n")
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, p, "msg=\"policy reloaded\"", 1)
	if code := do(t, "POST", p.url+"/v1/acquire", `{"pool":"p"}`, nil); code != 200 {
		t.Fatalf("after raising the limit to 3: %d", code)
	}
	var st poolState
	do(t, "GET", p.url+"/v1/pools/p", "", &st)
	if st.Used != 3 || st.Limit != 3 {
		t.Fatalf("state not kept across reload: %+v", st)
	}

	writeFile(t, cfg, "pools:\n  p: {limit: 0, window: 1h}\n")
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, p, `level=error msg="policy reload refused`, 1)
	if !strings.Contains(p.logs.String(), "pools.p.limit") {
		t.Fatalf("the error log does not name the key:\n%s", p.logs)
	}
	do(t, "GET", p.url+"/v1/pools/p", "", &st)
	if st.Limit != 3 {
		t.Fatalf("the invalid policy replaced the old one: %+v", st)
	}
	if p.cmd.ProcessState != nil {
		t.Fatal("SIGHUP stopped the daemon")
	}
}

// TestSIGTERMFinishesInFlightWork holds a waiter, sends SIGTERM, and checks
// that readyz turns 503, new acquires are refused, the waiter is granted,
// the process exits 0, and the state is there after a restart.
func TestSIGTERMFinishesInFlightWork(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "policy.yaml"), "pools:\n  p: {limit: 1, window: 1s, algorithm: bucket}\n")
			p := startDaemon(t, dir, "--db", "r.db")
			do(t, "POST", p.url+"/v1/acquire", `{"pool":"p"}`, nil)
			waiter := make(chan int, 1)
			go func() {
				code, _ := httpPost(p.url+"/v1/acquire", strings.NewReader(`{"pool":"p","max_wait":"5s"}`))
				waiter <- code
			}()
			waitInFlight(t, p.url)
			p.cmd.Process.Signal(sig)
			var ready map[string]any
			for do(t, "GET", p.url+"/readyz", "", &ready) != 503 {
				time.Sleep(5 * time.Millisecond)
			}
			if code := do(t, "POST", p.url+"/v1/acquire", `{"pool":"p"}`, nil); code != 503 {
				t.Fatalf("new acquire while stopping: %d", code)
			}
			if code := <-waiter; code != 200 {
				t.Fatalf("in-flight waiter: %d", code)
			}
			if code := p.wait(t); code != 0 {
				t.Fatalf("exit code %d\n%s", code, p.logs)
			}
			p2 := startDaemon(t, dir, "--db", "r.db")
			var st poolState
			do(t, "GET", p2.url+"/v1/pools/p", "", &st)
			if st.LeasesOpen != 2 {
				t.Fatalf("after restart: %+v, want both leases", st)
			}
		})
	}
}

func TestSecondDaemonOnOneDatabaseRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	startDaemon(t, dir, "--db", "shared.db")
	p, err := tryStartDaemon(dir, "--db", "shared.db")
	if err == nil {
		t.Fatal("a second daemon started on the same database")
	}
	if code := p.wait(t); code != 1 || !strings.Contains(p.logs.String(), "in use by another ratelord-d") {
		t.Fatalf("exit %d, logs:\n%s", code, p.logs)
	}
}

func TestBuiltinPolicyWhenNoPolicyFile(t *testing.T) {
	t.Parallel()
	p := startDaemon(t, t.TempDir())
	first := strings.SplitN(p.logs.String(), "\n", 3)
	if !strings.Contains(strings.Join(first[:2], "\n"), "built-in example policy") {
		t.Fatalf("the first log lines do not say which policy serves:\n%s", p.logs)
	}
	var out struct{ Pools []poolState }
	do(t, "GET", p.url+"/v1/pools", "", &out)
	if len(out.Pools) == 0 {
		t.Fatal("the built-in policy has no pools")
	}
}

func TestCheckFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good.yaml"), "pools:\n  p: {limit: 1, window: 1s}\n")
	writeFile(t, filepath.Join(dir, "bad.yaml"), "pools:\n  p: {limit: 1, window: 1x}\n")
	for _, tc := range []struct {
		file, want string
		code       int
	}{
		{"good.yaml", "good.yaml: ok (1 pools, 0 upstreams)", 0},
		{"bad.yaml", "bad.yaml:2: pools.p.window", 1},
	} {
		cmd := exec.Command(filepath.Join(bin, "ratelord-d"), "--check", "--config", tc.file)
		cmd.Dir = dir
		out, _ := cmd.Output()
		if cmd.ProcessState.ExitCode() != tc.code || !strings.Contains(string(out), tc.want) {
			t.Errorf("--check %s: exit %d, output %q; want %d and %q", tc.file, cmd.ProcessState.ExitCode(), out, tc.code, tc.want)
		}
	}
}

func waitLog(tb testing.TB, p *proc, text string, n int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(p.logs.String(), text) < n {
		if time.Now().After(deadline) {
			tb.Fatalf("no %q in the logs:\n%s", text, p.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitInFlight waits until the daemon has booked a slot for a waiter.
func waitInFlight(tb testing.TB, url string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var st poolState
		do(tb, "GET", url+"/v1/pools/p", "", &st)
		if st.LeasesOpen == 2 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal(fmt.Sprintf("the waiter never booked a slot: %+v", st))
		}
		time.Sleep(2 * time.Millisecond)
	}
}
