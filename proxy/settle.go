package proxy

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/upstream"
)

// maxUsageBody bounds the copy of a non-streamed answer kept to read its
// usage; past it the usage is not read and the lease is released.
const maxUsageBody = 4 << 20

// call is one proxied request, from its route to the close of its lease.
type call struct {
	p         *Proxy
	up        *policy.Upstream
	target    *url.URL
	route     *policy.Route
	rest      string // the path after /proxy/<upstream>, starting with /
	rawRest   string // rest as the client escaped it
	req       governor.Request
	estimated []string // the pools charged an estimate, to settle from usage
	clamped   string   // HeaderEstimateClamped's value, if any
	token     string
	lease     governor.LeaseID // 0: nothing acquired
	waited    time.Duration
	status    int    // the status the client got
	problem   string // for the log line

	sent   atomic.Bool // a request header reached an upstream connection
	closed atomic.Bool // the lease was settled or released
	usage  func() (int64, bool)
}

// finish closes the lease once the answer is over: estimate pools settle to
// the answer's usage (0 for an error answer without one); otherwise the
// lease is released and its charge stays.
func (c *call) finish() {
	if !c.closing() {
		return
	}
	if len(c.estimated) > 0 {
		n, ok := int64(0), false
		if c.usage != nil {
			n, ok = c.usage()
		}
		if ok || c.status >= http.StatusBadRequest {
			costs := make(governor.Costs, len(c.estimated))
			for i, pool := range c.estimated {
				costs[i] = governor.Cost{Pool: pool, Units: n}
			}
			c.closeWith(c.p.Governor.Settle(c.lease, nil, costs))
			return
		}
	}
	c.closeWith(c.p.Governor.Release(c.lease))
}

// refund closes the lease with every cost set to 0: nothing was sent.
func (c *call) refund() {
	if !c.closing() {
		return
	}
	zero := make(governor.Costs, len(c.req.Pools))
	for i, pc := range c.req.Pools {
		zero[i] = governor.Cost{Pool: pc.Pool}
	}
	c.closeWith(c.p.Governor.Settle(c.lease, nil, zero))
}

// closing reports whether the caller is the one to close the lease.
func (c *call) closing() bool {
	return c.lease != 0 && c.closed.CompareAndSwap(false, true)
}

// closeWith notes a failed settle or release: the lease may have expired
// (its charge stays) or its pool left the policy.
func (c *call) closeWith(err error) {
	if err != nil {
		c.note("close lease: " + err.Error())
	}
}

// note keeps a problem for the request's log line (the first one wins).
func (c *call) note(msg string) {
	if c.problem == "" {
		c.problem = msg
	}
}

// wrapBody replaces the answer's body with one that feeds its usage reader,
// closes the lease when the answer ends, and masks the token.
func (c *call) wrapBody(resp *http.Response) {
	m := &meter{rc: resp.Body, left: resp.ContentLength, done: c.finish}
	if len(c.estimated) > 0 {
		if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "text/event-stream" {
			s := &upstream.StreamUsage{}
			m.sink, c.usage = s, s.Total
		} else {
			b := &capped{}
			m.sink, c.usage = b, b.usage
		}
	}
	var r io.Reader = m
	if c.token != "" {
		r = newScrubber(m, c.token)
	}
	resp.Body = &answer{Reader: r, close: func() error {
		err := m.Close()
		scrubHeader(resp.Trailer, c.token) // trailers are known once the body is read
		return err
	}}
}

// answer is a response body with its own Close.
type answer struct {
	io.Reader
	close func() error
}

func (a *answer) Close() error { return a.close() }

// meter passes an answer's body through, copying it into sink, and calls
// done when the body ends: at its last byte (so the lease is closed before
// the client has the whole answer), at EOF, on an error or on Close.
type meter struct {
	rc   io.ReadCloser
	sink io.Writer // nil when no usage is read
	left int64     // bytes of Content-Length not yet read; -1 when unknown
	done func()
}

func (m *meter) Read(p []byte) (int, error) {
	n, err := m.rc.Read(p)
	if n > 0 && m.sink != nil {
		_, _ = m.sink.Write(p[:n])
	}
	if m.left >= 0 {
		if m.left -= int64(n); m.left <= 0 {
			m.done()
		}
	}
	if err != nil {
		m.done()
	}
	return n, err
}

func (m *meter) Close() error {
	err := m.rc.Close()
	m.done()
	return err
}

// capped keeps a copy of a non-streamed answer, up to maxUsageBody.
type capped struct {
	b    []byte
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if !c.over {
		if len(c.b)+len(p) > maxUsageBody {
			c.over, c.b = true, nil
		} else {
			c.b = append(c.b, p...)
		}
	}
	return len(p), nil
}

func (c *capped) usage() (int64, bool) {
	if c.over {
		return 0, false
	}
	return upstream.Usage(c.b)
}
