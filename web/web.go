// Package web is ratelord's dashboard: one page of plain HTML, CSS and
// JavaScript, embedded in the binary, that reads the daemon's own JSON API
// (GET /v1/pools, GET /v1/events and its SSE stream) from the browser.
//
// The page needs no build step, no framework and no network beyond the
// daemon, so it works offline and behind the daemon's bearer token.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Cache policies. The page itself is revalidated on every load (an ETag
// makes that a 304), so a new binary's page shows at once; the page links
// its assets with their content hash, and a hashed URL never changes.
const (
	cacheRevalidate = "no-cache"
	cacheImmutable  = "public, max-age=31536000, immutable"
)

// contentSecurity keeps the page to its own origin: no inline script, no
// third-party anything, and no framing.
const contentSecurity = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// handler serves the page at "/" and its assets at "/ui/NAME".
type handler struct {
	page   asset
	assets map[string]asset // by NAME
}

// Handler returns the dashboard: the page at "/" and its assets under
// "/ui/". Mount it at "GET /{$}" and "GET /ui/"; relative links let it work
// behind a reverse proxy under a path prefix too.
func Handler() http.Handler {
	h := &handler{assets: make(map[string]asset)}
	page := mustRead("static/index.html")
	for _, name := range []string{"app.js", "style.css"} {
		a := newAsset(name, mustRead("static/"+name))
		h.assets[name] = a
		// index.html links "ui/NAME"; pin each link to the content it names.
		page = bytes.ReplaceAll(page, []byte(`"ui/`+name+`"`), []byte(`"ui/`+name+`?v=`+a.etag[1:9]+`"`))
	}
	h.page = newAsset("index.html", page)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method "+r.Method+" is not allowed on "+r.URL.Path+": use GET", http.StatusMethodNotAllowed)
		return
	}
	a, cache, ok := h.lookup(r)
	if !ok {
		http.Error(w, "no such dashboard file "+r.URL.Path+": the dashboard is at /", http.StatusNotFound)
		return
	}
	hdr.Set("Content-Type", a.ctype)
	hdr.Set("Cache-Control", cache)
	hdr.Set("ETag", a.etag)
	if a.ctype == "text/html; charset=utf-8" {
		hdr.Set("Content-Security-Policy", contentSecurity)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// lookup finds the file r asks for and the cache policy of its URL.
func (h *handler) lookup(r *http.Request) (asset, string, bool) {
	p := r.URL.Path
	if p == "/" {
		return h.page, cacheRevalidate, true
	}
	name, ok := strings.CutPrefix(p, "/ui/")
	if !ok {
		return asset{}, "", false
	}
	a, ok := h.assets[name]
	if !ok {
		return asset{}, "", false
	}
	if v := r.URL.Query().Get("v"); v != "" && v == a.etag[1:9] {
		return a, cacheImmutable, true
	}
	return a, cacheRevalidate, true
}

// newAsset stamps body with its content type and a strong ETag of its hash.
func newAsset(name string, body []byte) asset {
	sum := sha256.Sum256(body)
	return asset{body: body, ctype: contentType(name), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// contentType is stated rather than sniffed or read from the host's MIME
// tables, which differ between systems.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	}
	return "application/octet-stream"
}

// mustRead reads an embedded file. The files are compiled in, so a failure
// is a build mistake that every test run reveals at once.
func mustRead(name string) []byte {
	b, err := fs.ReadFile(static, name)
	if err != nil {
		panic("web: embedded " + name + " is missing: " + err.Error())
	}
	return b
}
