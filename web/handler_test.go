package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/ratelord/ratelord/web"
)

// get serves one request from h and returns the response and its body.
func get(t *testing.T, h http.Handler, method, target string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestHandlerServesPageAndAssets(t *testing.T) {
	t.Parallel()
	h := web.Handler()
	resp, page := get(t, h, http.MethodGet, "/")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(page, "<title>ratelord</title>") {
		t.Errorf("GET / is not the dashboard page:\n%s", page)
	}
	for k, want := range map[string]string{"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("GET /: %s %q, want %q", k, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("GET /: Content-Security-Policy %q does not keep scripts to the daemon", csp)
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := get(t, h, http.MethodGet, "/", "If-None-Match", etag); etag == "" || resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET / with If-None-Match %q: %d, want 304", etag, resp.StatusCode)
	}

	for name, ctype := range map[string]string{"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"} {
		// The page links each asset with its content hash, which may be cached for good.
		link := regexp.MustCompile(`"(ui/` + regexp.QuoteMeta(name) + `\?v=[0-9a-f]{8})"`).FindStringSubmatch(page)
		if link == nil {
			t.Errorf("the page does not link ui/%s with its hash", name)
			continue
		}
		resp, body := get(t, h, http.MethodGet, "/"+link[1])
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ctype || len(body) == 0 {
			t.Errorf("GET /%s: %d %q, %d bytes; want 200 %q", link[1], resp.StatusCode, resp.Header.Get("Content-Type"), len(body), ctype)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("GET /%s: Cache-Control %q, want immutable", link[1], cc)
		}
		// Without the hash (or with a stale one) the browser must revalidate.
		for _, target := range []string{"/ui/" + name, "/ui/" + name + "?v=00000000"} {
			if resp, _ := get(t, h, http.MethodGet, target); resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-cache" {
				t.Errorf("GET %s: %d, Cache-Control %q; want 200 no-cache", target, resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
		}
	}

	if resp, body := get(t, h, http.MethodHead, "/ui/style.css"); resp.StatusCode != http.StatusOK || body != "" {
		t.Errorf("HEAD /ui/style.css: %d with %d bytes of body", resp.StatusCode, len(body))
	}
	for _, target := range []string{"/ui/", "/ui/index.html", "/ui/../web.go", "/static/app.js", "/favicon.ico"} {
		if resp, _ := get(t, h, http.MethodGet, target); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, resp.StatusCode)
		}
	}
	if resp, _ := get(t, h, http.MethodPost, "/"); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d, Allow %q; want 405 with Allow: GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestDashboardMountedInAPI checks the page, its assets and the API side by
// side on one server, as the daemon serves them. With a token set, the page
// and its assets (which hold no data) still load, so that the page can ask
// for the token; the API wants it.
func TestDashboardMountedInAPI(t *testing.T) {
	t.Parallel()
	for _, token := range []string{"", "s3cret"} {
		ts := MustDaemon(t, token)
		for path, want := range map[string]string{
			"/":             "200 text/html; charset=utf-8",
			"/ui/app.js":    "200 text/javascript; charset=utf-8",
			"/ui/style.css": "200 text/css; charset=utf-8",
			"/v1/pools":     "200 application/json",
		} {
			if token != "" && strings.HasPrefix(path, "/v1/") {
				want = "401 application/json"
			}
			resp, err := http.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := fmt.Sprintf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type")); got != want {
				t.Errorf("token %q: GET %s without a token: %s, want %s", token, path, got, want)
			}
		}
	}
}
