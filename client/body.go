package client

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
)

// settleBodyMax is the most of a response body the Transport keeps for its
// Settle function to read.
const settleBodyMax = 1 << 20

// leaseBody is a response body that closes its lease when it is closed:
// settled with the costs Transport.Settle finds in the answer, or released.
type leaseBody struct {
	body  io.ReadCloser
	t     *Transport
	resp  *http.Response
	lease string

	mu   sync.Mutex
	kept *bytes.Buffer // what the caller read, for Settle; nil when not kept
	once sync.Once
}

// leaseRWBody keeps the io.Writer of a body that has one (the connection
// of a 101 Switching Protocols answer), so that wrapping does not break it.
type leaseRWBody struct {
	*leaseBody
	w io.Writer
}

func (b *leaseRWBody) Write(p []byte) (int, error) { return b.w.Write(p) }

// wrap returns resp's body wrapped so that closing it closes lease.
func (t *Transport) wrap(resp *http.Response, lease string) io.ReadCloser {
	b := &leaseBody{body: resp.Body, t: t, resp: resp, lease: lease}
	if t.Settle != nil {
		b.kept = new(bytes.Buffer)
	}
	if w, ok := resp.Body.(io.Writer); ok {
		return &leaseRWBody{leaseBody: b, w: w}
	}
	return b
}

// Read reads from the upstream's body, keeping a copy for Settle.
func (b *leaseBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if n > 0 {
		b.mu.Lock()
		if b.kept != nil {
			if b.kept.Len()+n > settleBodyMax {
				b.kept = nil
			} else {
				b.kept.Write(p[:n])
			}
		}
		b.mu.Unlock()
	}
	return n, err
}

// Close closes the upstream's body, then, the first time, settles or
// releases the lease. A failure to close the lease is logged, not returned:
// the body itself closed fine, and the daemon closes the lease at its TTL.
func (b *leaseBody) Close() error {
	err := b.body.Close()
	b.once.Do(b.finish)
	return err
}

// finish settles the lease with Settle's costs, or releases it.
func (b *leaseBody) finish() {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	var costs map[string]int64
	if b.t.Settle != nil {
		b.mu.Lock()
		replay := io.ReadCloser(http.NoBody)
		if b.kept != nil {
			replay = io.NopCloser(bytes.NewReader(b.kept.Bytes()))
		}
		b.kept = nil
		b.mu.Unlock()
		r := *b.resp
		r.Body = replay
		costs = b.t.Settle(&r)
	}
	if costs == nil {
		b.t.closed(b.lease, b.t.Client.Release(ctx, b.lease))
		return
	}
	b.t.closed(b.lease, b.t.Client.SettlePools(ctx, b.lease, costs))
}
