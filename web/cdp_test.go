package web_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Browser is a headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: commands on fd 3, answers and events on fd 4,
// each a JSON message ended by a NUL byte), so no WebSocket client is needed.
type Browser struct {
	tb      testing.TB
	cmd     *exec.Cmd
	send    *os.File
	session string // the page's flattened session

	mu      sync.Mutex
	id      int
	waiting map[int]chan cdpAnswer
	errs    []string // uncaught exceptions and console errors of the page
	done    chan struct{}
}

type cdpAnswer struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int
		Message string
	} `json:"error"`
}

// read dispatches Chromium's messages: answers to their callers, and the
// page's exceptions and console errors to b.errs.
func (b *Browser) read(recv *os.File) {
	defer close(b.done)
	defer recv.Close()
	r := bufio.NewReader(recv)
	for {
		raw, err := r.ReadBytes(0)
		if err != nil {
			return
		}
		var msg struct {
			ID     int             `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			cdpAnswer
		}
		if json.Unmarshal(raw[:len(raw)-1], &msg) != nil {
			continue
		}
		b.mu.Lock()
		switch {
		case msg.ID != 0:
			if ch := b.waiting[msg.ID]; ch != nil {
				ch <- msg.cdpAnswer
				delete(b.waiting, msg.ID)
			}
		case msg.Method == "Runtime.exceptionThrown":
			b.errs = append(b.errs, "exception: "+string(msg.Params))
		case msg.Method == "Runtime.consoleAPICalled" && bytes.Contains(msg.Params, []byte(`"type":"error"`)):
			b.errs = append(b.errs, "console.error: "+string(msg.Params))
		}
		b.mu.Unlock()
	}
}

// Call sends a command to the page and decodes its result into out (if not nil).
func (b *Browser) Call(method string, params, out any) {
	b.tb.Helper()
	b.call(b.session, method, params, out)
}

func (b *Browser) call(session, method string, params, out any) {
	b.tb.Helper()
	if err := b.try(session, method, params, out); err != nil {
		b.tb.Fatalf("%s: %v", method, err)
	}
}

func (b *Browser) try(session, method string, params, out any) error {
	if params == nil {
		params = map[string]any{}
	}
	ch := make(chan cdpAnswer, 1)
	b.mu.Lock()
	b.id++
	id := b.id
	b.waiting[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.send.Write(append(raw, 0)); err != nil {
		return err
	}
	select {
	case a := <-ch:
		if a.Error != nil {
			return fmt.Errorf("%d %s", a.Error.Code, a.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(a.Result, out)
		}
		return nil
	case <-b.done:
		return errors.New("chromium exited")
	case <-time.After(waitTimeout):
		return errors.New("no answer from chromium")
	}
}
