package proxy

import (
	"fmt"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"strings"

	"github.com/ratelord/ratelord/upstream"
)

// rewrite turns the client's request into the upstream's: url + the rest
// of the path, the query kept, the upstream's Host, no Ratelord-* fields,
// the upstream's credentials instead of the client's, and no
// Accept-Encoding (the transport negotiates gzip and decodes it, so the
// proxy reads plain bytes). ReverseProxy has already dropped hop-by-hop
// and X-Forwarded-* fields, and adds no new ones.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	c := callOf(pr.In.Context())
	pr.Out.URL.Path, pr.Out.URL.RawPath = c.rest, c.rawRest
	if pr.Out.URL.RawPath == pr.Out.URL.Path {
		pr.Out.URL.RawPath = ""
	}
	pr.SetURL(c.target)
	h := pr.Out.Header
	for k := range h {
		if len(k) >= len("Ratelord-") && strings.EqualFold(k[:len("Ratelord-")], "Ratelord-") {
			delete(h, k)
		}
	}
	h.Del("Accept-Encoding")
	credentials(h, c.up.Dialect, c.token)
	trace := &httptrace.ClientTrace{WroteHeaders: func() { c.sent.Store(true) }}
	pr.Out = pr.Out.WithContext(httptrace.WithClientTrace(pr.Out.Context(), trace))
}

// modifyResponse runs once the answer's header has arrived: it tells the
// governor what the upstream said about its quota (a 429 holds the pools;
// the answer itself passes through unchanged), drops any header field that
// carries the token, and wraps the body to settle the lease at its end.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	c := callOf(resp.Request.Context())
	c.sent.Store(true)
	c.status = resp.StatusCode
	o := upstream.Parse(c.up.Dialect, resp.Header, resp.StatusCode, p.Now())
	if _, err := p.Governor.ObserveUpstream(c.up.Name, c.req.Identity, "proxy", o); err != nil {
		c.note("observe: " + err.Error())
	}
	scrubHeader(resp.Header, c.token)
	switch {
	case resp.StatusCode == http.StatusSwitchingProtocols:
		// The body is now the connection itself: the lease ends here.
		c.finish()
		return nil
	case resp.Body == http.NoBody || resp.ContentLength == 0:
		// The answer is whole already; close the lease before the client
		// can see it.
		c.finish()
		return nil
	}
	c.wrapBody(resp)
	return nil
}

// upstreamError answers a request the upstream did not answer: 502 with
// the reason, the token masked. The lease is refunded when no request
// header reached an upstream connection, and released (the charge stays)
// when the upstream may have seen the request.
func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	c := callOf(r.Context())
	if c.sent.Load() {
		c.finish()
	} else {
		c.refund()
	}
	if r.Context().Err() != nil {
		c.status = 499 // the client left; nobody reads an answer
		return
	}
	c.status = http.StatusBadGateway
	c.note(redact(err.Error(), c.token))
	msg := fmt.Sprintf("upstream %s (%s) did not answer: %s", c.up.Name, c.up.URL, redact(err.Error(), c.token))
	if c.sent.Load() {
		msg += "; the request may have reached it, so its quota stays charged"
	}
	writeError(w, c.status, ErrUnreachable, msg)
}
