package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratelord/ratelord/httpapi/apitest"
	"github.com/ratelord/ratelord/web"
)

// testPolicy has two pools: a small sliding one that the tests exhaust, and
// one with two limits, whose tightest (sliding, so its figures hold still
// during a test) is shown first.
const testPolicy = `
pools:
  demo: {limit: 5, window: 10m}
  tokens:
    unit: tokens
    limits:
      - {limit: 1000, window: 10m}
      - {limit: 2000, window: 1h, algorithm: bucket}
`

// evil is an identity that would run script if the page parsed API text as HTML.
const evil = `<img src=x onerror="document.title='pwned'">`

// MustDaemon starts the daemon's stack in-process: the policy, a SQLite
// store in a temporary directory, the governor, and the HTTP API with the
// dashboard mounted, on an httptest server.
func MustDaemon(tb testing.TB, token string) *httptest.Server {
	tb.Helper()
	st := apitest.Start(tb, testPolicy)
	st.API.AuthToken, st.API.Dashboard = token, web.Handler()
	ts := httptest.NewServer(st.API.Handler())
	tb.Cleanup(func() {
		st.API.SetShuttingDown() // ends the page's event streams
		ts.Close()
	})
	return ts
}

// Acquire asks the daemon for quota and returns the HTTP status and the answer.
func Acquire(tb testing.TB, ts *httptest.Server, token, body string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/acquire", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatalf("acquire %s: %v", body, err)
	}
	return resp.StatusCode, out
}

// MustAcquire acquires and fails the test unless the answer has status want.
func MustAcquire(tb testing.TB, ts *httptest.Server, token, body string, want int) map[string]any {
	tb.Helper()
	code, out := Acquire(tb, ts, token, body)
	if code != want {
		tb.Fatalf("acquire %s: status %d, want %d: %v", body, code, want, out)
	}
	return out
}

// Expressions about what the page shows.
const (
	shows     = `(document.body.dataset.state + " " + document.getElementById("status").textContent + " | " + document.getElementById("main").innerText.slice(0, 600))`
	following = `["live", "polling"].includes(document.body.dataset.state)`
)

func pool(name, attr string) string {
	return `document.querySelector('.pool[data-pool="` + name + `"]')?.dataset.` + attr
}

func TestDashboardShowsPoolsLiveAndAfterReload(t *testing.T) {
	t.Parallel()
	ts := MustDaemon(t, "")
	for range 3 {
		MustAcquire(t, ts, "", `{"pool": "demo", "identity": "crawler-1"}`, http.StatusOK)
	}
	MustAcquire(t, ts, "", `{"pool": "tokens", "cost": 400}`, http.StatusOK)

	b := MustBrowser(t)
	b.Load(ts.URL + "/")
	b.WaitFor("demo's 3 used units", pool("demo", "used")+` === "3"`, shows)
	b.WaitFor("the tokens pool's 400 used units", pool("tokens", "used")+` === "400"`, shows)
	b.WaitFor("the tokens pool's two limits", `document.querySelectorAll('.pool[data-pool="tokens"] .limit').length === 2`, shows)
	b.WaitFor("demo's chart to hold 3 units", pool("demo", "chartUnits")+` === "3"`, shows)
	b.WaitFor("the event stream", following, shows)
	b.WaitFor("demo's limit", `document.querySelector('.pool[data-pool="demo"] .rule').textContent === "sliding · 5 requests / 10m"`, shows)
	b.WaitFor("no denials yet", `!document.getElementById("no-denials").hidden`, shows)

	// Live: the page follows the log without a reload.
	MustAcquire(t, ts, "", `{"pool": "demo", "identity": "crawler-2"}`, http.StatusOK)
	MustAcquire(t, ts, "", `{"pool": "demo", "identity": "crawler-2"}`, http.StatusOK)
	denied := MustAcquire(t, ts, "", `{"pool": "demo", "identity": `+quote(evil)+`}`, http.StatusTooManyRequests)
	if denied["reason"] != "quota_exhausted" {
		t.Fatalf("denial reason %v, want quota_exhausted", denied["reason"])
	}
	checkDenial := func() {
		t.Helper()
		b.WaitFor("demo's 5 used units", pool("demo", "used")+` === "5"`, shows)
		b.WaitFor("the denial", `document.querySelectorAll('#denials .denial[data-reason="quota_exhausted"][data-pools="demo"]').length === 1`, shows)
		b.WaitFor("the chart's denial", pool("demo", "chartDenials")+` === "1"`, shows)
		b.WaitFor("the chart's 5 units", pool("demo", "chartUnits")+` === "5"`, shows)
		b.WaitFor("when demo's next unit frees", `/^next frees in \d+m\d+s$/.test(document.querySelector('.pool[data-pool="demo"] .reset').textContent)`, shows)
		b.WaitFor("the exhausted badge", `document.querySelector('.pool[data-pool="demo"] .badge.out') !== null`, shows)
		var row struct{ Identity, Reason, Message, Pools string }
		if err := b.Eval(`(() => { const r = document.querySelector("#denials .denial");
			return {identity: r.querySelector(".identity").textContent, reason: r.querySelector(".reason").textContent,
				message: r.querySelector(".message").textContent, pools: r.querySelector(".pools").textContent}; })()`, &row); err != nil {
			t.Fatal(err)
		}
		want := struct{ Identity, Reason, Message, Pools string }{evil, "quota_exhausted", denied["message"].(string), "demo"}
		if row != want {
			t.Errorf("denial row shows %+v, want %+v", row, want)
		}
		var injected bool
		if err := b.Eval(`document.querySelector("main img, main script") !== null || document.title !== "ratelord"`, &injected); err != nil || injected {
			t.Errorf("text from the API was parsed as HTML (err %v)", err)
		}
	}
	checkDenial()

	// After a reload, the same comes from the audit log's history.
	b.Load(ts.URL + "/")
	checkDenial()
	b.WaitFor("the tokens pool after the reload", pool("tokens", "used")+` === "400"`, shows)

	shot := filepath.Join(t.TempDir(), "dashboard.png")
	b.Screenshot(shot)
	if png, err := os.ReadFile(shot); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("screenshot %s is not a PNG (err %v)", shot, err)
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

func TestDashboardAsksForToken(t *testing.T) {
	t.Parallel()
	const token = "s3cret"
	ts := MustDaemon(t, token)
	MustAcquire(t, ts, token, `{"pool": "demo"}`, http.StatusOK)
	b := MustBrowser(t)
	b.Load(ts.URL + "/")
	var served bool
	if err := b.Eval(`document.getElementById("auth") !== null`, &served); err != nil || !served {
		t.Fatalf("the page did not load without a token (err %v): the API's auth must let GET / and GET /ui/ through", err)
	}
	b.WaitFor("the token form", `document.body.dataset.state === "auth" && !document.getElementById("auth").hidden`, shows)
	submit := func(tok string) {
		t.Helper()
		if err := b.Eval(`document.getElementById("token").value = `+quote(tok)+`; document.getElementById("auth").requestSubmit(); true`, new(bool)); err != nil {
			t.Fatal(err)
		}
	}
	submit("wrong")
	b.WaitFor("the refusal", `!document.getElementById("auth-error").hidden && document.body.dataset.state === "auth"`, shows)
	submit(token)
	b.WaitFor("demo's 1 used unit", pool("demo", "used")+` === "1"`, shows)
	// EventSource cannot send the token, so the page polls the log instead.
	b.WaitFor("polling", `document.body.dataset.state === "polling"`, shows)

	for range 4 {
		MustAcquire(t, ts, token, `{"pool": "demo"}`, http.StatusOK)
	}
	MustAcquire(t, ts, token, `{"pool": "demo", "identity": "late"}`, http.StatusTooManyRequests)
	b.WaitFor("the polled denial", `document.querySelector('#denials .denial[data-identity="late"]') !== null`, shows)
	b.WaitFor("demo's 5 used units", pool("demo", "used")+` === "5"`, shows)

	// The token lasts for the tab's session.
	b.Load(ts.URL + "/")
	b.WaitFor("the pools without asking again", pool("demo", "used")+` === "5" && document.getElementById("auth").hidden`, shows)
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
}

// quote makes s a JSON (and JavaScript) string literal.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
