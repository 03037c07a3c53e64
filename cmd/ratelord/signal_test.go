package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// readyWriter collects output and closes ready once it holds mark
// ("ready" when empty).
type readyWriter struct {
	mark  string
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func newReadyWriter(mark string) *readyWriter {
	if mark == "" {
		mark = "ready"
	}
	return &readyWriter{mark: mark, ready: make(chan struct{})}
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.mark) {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

// String returns what was written so far.
func (w *readyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// signalCLI returns a cli whose signal channel is handed to the test.
func signalCLI(url string, stdout io.Writer, stderr io.Writer) (*cli, chan chan<- os.Signal) {
	registered := make(chan chan<- os.Signal, 1)
	c := newCLI(urlEnv(url), stdout, stderr)
	c.notify = func(ch chan<- os.Signal, _ ...os.Signal) { registered <- ch }
	return c, registered
}

func TestExecForwardsSignal(t *testing.T) {
	t.Parallel()
	d := newExecDaemon(t, granted)
	out := newReadyWriter("")
	var errb bytes.Buffer
	c, registered := signalCLI(d.url, out, &errb)
	go func() {
		sigs := <-registered
		<-out.ready
		sigs <- syscall.SIGTERM
	}()
	code := c.main([]string{"exec", "p", "--", "sh", "-c", "echo ready; exec sleep 30"})
	if code != 128+15 {
		t.Errorf("exit %d, stderr %q; want 143 (SIGTERM passed on)", code, errb.String())
	}
	if d.rec.count("DELETE /v1/leases/lease-1") != 1 {
		t.Errorf("requests %q: want the lease released", d.rec.list())
	}
}

func TestExecSignalAbortsWait(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	left := make(chan struct{})
	url, _ := MustDaemon(t, map[string]http.HandlerFunc{
		"POST /v1/acquire": func(w http.ResponseWriter, r *http.Request) {
			json.NewDecoder(r.Body).Decode(new(map[string]any))
			close(started)
			<-r.Context().Done() // the daemon sees the waiter go and frees its slot
			close(left)
		},
	})
	var errb bytes.Buffer
	c, registered := signalCLI(url, newReadyWriter(""), &errb)
	go func() {
		sigs := <-registered
		<-started
		sigs <- os.Interrupt
	}()
	code := c.main([]string{"exec", "p", "--", "sh", "-c", "echo should not run"})
	if code != 128+2 || errb.String() != "ratelord: interrupt while waiting for p\n" {
		t.Errorf("exit %d, stderr %q; want 130 and a note", code, errb.String())
	}
	<-left
}
