package proxy

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/policy"
)

// Request headers a client sends the proxy. No Ratelord-* header is ever
// forwarded upstream.
const (
	// HeaderIdentity names who spends (per-identity pools use it).
	HeaderIdentity = "Ratelord-Identity"
	// HeaderPriority is critical, high, normal (the default) or low.
	HeaderPriority = "Ratelord-Priority"
	// HeaderMaxWait is how long the request may wait for quota, as a Go
	// duration (10s, 2m); default Proxy.MaxWait.
	HeaderMaxWait = "Ratelord-Max-Wait"
	// HeaderLeaseTTL is how long the request's lease may stay open, as a Go
	// duration between 1s and 24h; default Proxy.LeaseTTL.
	HeaderLeaseTTL = "Ratelord-Lease-TTL"
)

// Response headers the proxy adds.
const (
	// HeaderWaited is the milliseconds the request waited for quota; only
	// sent when it waited.
	HeaderWaited = "Ratelord-Waited-Ms"
	// HeaderEstimateClamped lists, per pool, an estimate larger than the
	// pool can grant at once and what was charged instead:
	// "openai-tokens";estimate=120000;charged=30000.
	HeaderEstimateClamped = "Ratelord-Estimate-Clamped"
)

// maxIdentity bounds the length of an identity, as the API does.
const maxIdentity = 256

// parseHeaders reads the Ratelord-* headers into a governor request.
func (p *Proxy) parseHeaders(h http.Header) (governor.Request, error) {
	req := governor.Request{States: true, MaxWait: p.MaxWait, LeaseTTL: p.LeaseTTL}
	req.Identity = strings.TrimSpace(h.Get(HeaderIdentity))
	if len(req.Identity) > maxIdentity {
		return req, invalidf("%s is longer than %d bytes: use a shorter name", HeaderIdentity, maxIdentity)
	}
	pr, err := policy.ParsePriority(h.Get(HeaderPriority))
	if err != nil {
		return req, invalidf("%s: %v", HeaderPriority, err)
	}
	req.Priority = pr
	if v := h.Get(HeaderMaxWait); v != "" {
		if req.MaxWait, err = duration(HeaderMaxWait, v); err != nil {
			return req, err
		}
	}
	if v := h.Get(HeaderLeaseTTL); v != "" {
		if req.LeaseTTL, err = duration(HeaderLeaseTTL, v); err != nil {
			return req, err
		}
		if req.LeaseTTL < time.Second || req.LeaseTTL > governor.MaxLeaseTTL {
			return req, invalidf("%s: %s is out of range: use a duration between 1s and %s", HeaderLeaseTTL, v, governor.MaxLeaseTTL)
		}
	}
	return req, nil
}

// duration parses a non-negative Go duration header.
func duration(name, v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, invalidf("%s: bad duration %s: use a Go duration such as 500ms, 10s or 5m", name, strconv.Quote(v))
	}
	if d < 0 {
		return 0, invalidf("%s: %s is negative: use 0 or a positive duration", name, v)
	}
	return d, nil
}

// readBody reads the request body into memory, up to p.MaxBody, and puts
// it back on r so it can be forwarded (and re-sent by the transport on a
// retry).
func (p *Proxy) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > p.MaxBody {
		return nil, tooLarge(p.MaxBody)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, p.MaxBody+1))
	if err != nil {
		return nil, invalidf("read the request body: %v", err)
	}
	if int64(len(body)) > p.MaxBody {
		return nil, tooLarge(p.MaxBody)
	}
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	r.TransferEncoding = nil
	return body, nil
}

func tooLarge(most int64) error {
	return governor.Errorf(ErrTooLarge, "the request body is larger than %d bytes, the most the proxy reads to estimate its tokens: send a smaller request", most)
}

func invalidf(format string, args ...any) error {
	return governor.Errorf(governor.ErrInvalid, format, args...)
}
