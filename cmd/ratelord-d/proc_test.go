package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// bin holds the binaries built once for the tests that cross process
// boundaries (signals, kill -9, the CLI).
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ratelord-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, b := range [][2]string{{"ratelord-d", "."}, {"ratelord", "../ratelord"}} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, b[0]), b[1]).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", b[0], err, out)
			os.Exit(1)
		}
	}
	bin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a ratelord-d process started by a test.
type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var servingRe = regexp.MustCompile(`msg=serving addr=(\S+)`)

// startDaemon runs the built ratelord-d in dir on a free port and waits
// until it serves. It fails the test if the daemon exits first.
func startDaemon(tb testing.TB, dir string, args ...string) *proc {
	tb.Helper()
	p, err := tryStartDaemon(dir, args...)
	if err != nil {
		tb.Fatalf("start ratelord-d: %v\n%s", err, p.logs)
	}
	tb.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func tryStartDaemon(dir string, args ...string) (*proc, error) {
	args = append([]string{"--addr", "127.0.0.1:0", "--sync", "normal"}, args...)
	cmd := exec.Command(filepath.Join(bin, "ratelord-d"), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RATELORD_CONFIG_PATH=", "RATELORD_DB_PATH=", "RATELORD_ADDR=")
	pr, pw := io.Pipe()
	p := &proc{cmd: cmd, logs: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = io.MultiWriter(p.logs, pw)
	if err := cmd.Start(); err != nil {
		return p, err
	}
	go func() { p.done <- cmd.Wait(); pw.Close() }()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case addr := <-found:
		p.url = "http://" + addr
		return p, nil
	case err := <-p.done:
		p.done <- err
		return p, fmt.Errorf("exited before serving: %v", err)
	case <-time.After(30 * time.Second):
		return p, fmt.Errorf("not serving after 30s")
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(tb testing.TB) int {
	tb.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		tb.Fatalf("ratelord-d did not exit\n%s", p.logs)
	}
	return p.cmd.ProcessState.ExitCode()
}

// do sends a JSON request and decodes the answer into out (if not nil).
func do(tb testing.TB, method, url, body string, out any) int {
	tb.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			tb.Fatalf("%s %s: decode: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

func writeFile(tb testing.TB, path, text string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// httpPost posts a JSON body and returns the status code.
func httpPost(url string, body io.Reader) (int, error) {
	resp, err := http.Post(url, "application/json", body)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
