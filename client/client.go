// Package client is the Go SDK for ratelord-d's HTTP/JSON API.
//
// A program asks the daemon before it spends upstream quota:
//
//	c := client.New("http://127.0.0.1:8090")
//	g, err := c.Acquire(ctx, client.AcquireRequest{Pool: "github-core", Cost: 1, MaxWait: 10 * time.Second})
//	var denied *client.Denied
//	if errors.As(err, &denied) {
//		return fmt.Errorf("github quota: try again in %s", denied.RetryAfter)
//	}
//	if err != nil {
//		return err
//	}
//	defer c.Release(context.WithoutCancel(ctx), g.LeaseID)
//	// ... call the GitHub API ...
//
// A denial is returned as a *Denied error, any other answer outside 2xx as an
// *APIError, and a transport failure as the wrapped *url.Error.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultURL is the address ratelord-d listens on by default.
const DefaultURL = "http://127.0.0.1:8090"

// Client talks to one ratelord-d. Its fields may be set before first use and
// must not change afterwards; a Client is safe for concurrent use.
type Client struct {
	// URL is the daemon's base URL, such as "http://127.0.0.1:8090".
	// Empty means DefaultURL.
	URL string
	// Token, when set, is sent as "Authorization: Bearer <Token>".
	Token string
	// HTTP sends the requests. Nil means a client shared by this package that
	// keeps connections alive and has no overall timeout, because an acquire
	// may legitimately wait; bound calls with the context instead.
	HTTP *http.Client
	// OnResponse, when set, is called with every answer the daemon sends
	// (any status) before it is decoded. The CLI's --json uses it to print
	// the raw body. It must not keep body after it returns.
	OnResponse func(method, path string, status int, body []byte)
}

// New returns a Client for the daemon at url (a trailing slash is ignored).
func New(url string) *Client {
	return &Client{URL: strings.TrimRight(url, "/")}
}

// defaultHTTP is used when Client.HTTP is nil. It has its own transport
// rather than http.DefaultTransport, so that a program which gates
// http.DefaultTransport through ratelord does not route ratelord's own
// calls through the gate, and it keeps more idle connections per host
// because one program typically holds many concurrent acquires.
var defaultHTTP = &http.Client{Transport: newTransport()}

func newTransport() http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

// response is one answer from the daemon, body fully read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// ok reports whether the status is 2xx.
func (r *response) ok() bool { return r.status >= 200 && r.status < 300 }

// newRequest builds a request to the daemon at path with the token set.
// It is marked as the SDK's own, so that a Transport in its path lets it
// through.
func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body io.Reader) (*http.Request, error) {
	base := c.URL
	if base == "" {
		base = DefaultURL
	}
	u := strings.TrimRight(base, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, ownCall{}, true), method, u, body)
	if err != nil {
		return nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

// httpClient returns c.HTTP, or the package's keep-alive client.
func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// do sends one request: in, if not nil, is encoded as the JSON body. It
// returns an error only when no answer arrived.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in any) (*response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := c.newRequest(ctx, method, path, query, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read answer to %s %s: %w", method, path, err)
	}
	if c.OnResponse != nil {
		c.OnResponse(method, path, resp.StatusCode, b)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// call sends a request and decodes a 2xx answer into out (when out is not
// nil); any other answer becomes an *APIError.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	r, err := c.do(ctx, method, path, query, in)
	if err != nil {
		return err
	}
	if !r.ok() {
		return r.apiError()
	}
	return r.decode(out)
}

// decode unmarshals the body into out, if out is not nil.
func (r *response) decode(out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		return fmt.Errorf("decode answer (HTTP %d): %w", r.status, err)
	}
	return nil
}
