package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitTimeout bounds every wait for the page. It only turns a hang into a
// failure: the page normally settles in well under a second.
const waitTimeout = 30 * time.Second

// chromiumPath finds Chromium. Without it the test skips, unless CI=true.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("chromium is not installed, and CI=true: install Debian's chromium package (apt-get install -y chromium)")
	}
	tb.Skip("chromium is not installed: apt-get install -y chromium to run the dashboard's browser tests")
	return ""
}

// MustBrowser starts Chromium with one blank page of 1280×900 and stops it
// when the test ends.
func MustBrowser(tb testing.TB) *Browser {
	tb.Helper()
	bin := chromiumPath(tb)
	toChrome, send, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	recv, fromChrome, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-dev-shm-usage", "--remote-debugging-pipe",
		"--user-data-dir="+filepath.Join(tb.TempDir(), "profile"), "--window-size=1280,900", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome} // fd 3 and fd 4
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // renderers go with it
	cmd.WaitDelay = 5 * time.Second                       // helpers may hold stderr open
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", bin, err)
	}
	toChrome.Close()
	fromChrome.Close()
	b := &Browser{tb: tb, cmd: cmd, send: send, waiting: make(map[int]chan cdpAnswer), done: make(chan struct{})}
	go b.read(recv)
	tb.Cleanup(func() { b.close(&stderr) })

	var target struct{ TargetID string }
	b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct{ SessionID string }
	b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	b.session = attached.SessionID
	b.Call("Page.enable", nil, nil)
	b.Call("Runtime.enable", nil, nil)
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil)
	return b
}

// Navigate loads url in the page.
func (b *Browser) Navigate(url string) {
	b.tb.Helper()
	b.Call("Page.navigate", map[string]any{"url": url}, nil)
}

// Eval evaluates a JavaScript expression in the page and decodes its value into out.
func (b *Browser) Eval(expr string, out any) error {
	var res struct {
		Result           struct{ Value json.RawMessage }
		ExceptionDetails *struct{ Text string }
	}
	params := map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}
	if err := b.try(b.session, "Runtime.evaluate", params, &res); err != nil {
		return err
	}
	if res.ExceptionDetails != nil {
		return fmt.Errorf("%s: %s", expr, res.ExceptionDetails.Text)
	}
	if len(res.Result.Value) == 0 {
		return fmt.Errorf("%s: no value", expr)
	}
	return json.Unmarshal(res.Result.Value, out)
}

// Load (re)loads the page and waits until its document is the new one.
func (b *Browser) Load(url string) {
	b.tb.Helper()
	b.Eval("window.staleDocument = true", new(bool)) //nolint:errcheck // about:blank at first
	b.Navigate(url)
	b.WaitFor("the page to load", `!window.staleDocument && document.readyState === "complete"`, "location.href")
}

// WaitFor polls a JavaScript expression until it is true; on a timeout it
// fails the test with what describe (another expression) says about the page.
func (b *Browser) WaitFor(what, expr, describe string) {
	b.tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		var ok bool
		if err := b.Eval("Boolean("+expr+")", &ok); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			var got any
			b.Eval(describe, &got) //nolint:errcheck // best effort, for the message
			b.tb.Fatalf("waited %v for %s (%s); the page shows %v; page errors: %v", waitTimeout, what, expr, got, b.Errors())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Screenshot saves the page as a PNG file.
func (b *Browser) Screenshot(path string) {
	b.tb.Helper()
	var shot struct{ Data string }
	b.Call("Page.captureScreenshot", map[string]any{"format": "png"}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		b.tb.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.tb.Fatal(err)
	}
}

// Errors returns the page's uncaught exceptions and console errors so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errs...)
}

// close asks Chromium to quit, and kills its process group if it does not.
func (b *Browser) close(stderr *bytes.Buffer) {
	b.try("", "Browser.close", nil, nil) //nolint:errcheck // killed below if it did not work
	b.send.Close()
	exited := make(chan struct{})
	go func() {
		b.cmd.Wait() //nolint:errcheck // a killed browser is expected here
		close(exited)
	}()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL) //nolint:errcheck // it may be gone already
		<-exited
	}
	if b.tb.Failed() {
		b.tb.Logf("chromium's stderr (last lines):\n%s", lastLines(stderr.String(), 20))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
