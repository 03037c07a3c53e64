package bench

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// worker sends one request at a time and keeps its own counts, so that
// workers share nothing but the schedule's counter.
type worker struct {
	r    *run
	rand *rand.Rand
	buf  []byte // the last answer's body, reused

	acq, rel  *histogram // rel is nil unless Settle
	requests  int64
	granted   int64
	denied    int64
	transport int64
	byStatus  map[string]int64
	firstErr  string
	releases  int64
	relErrors int64
	idleTimer *time.Timer // open loop: waits for the next scheduled time
}

// maxErrBody bounds how much of an error's body a report quotes.
const maxErrBody = 200

// leaseKey precedes the lease id in a grant.
var leaseKey = []byte(`"lease_id":"`)

func newWorker(r *run, i int) *worker {
	w := &worker{r: r, rand: rand.New(rand.NewPCG(uint64(i), 0x62656e6368)), buf: make([]byte, 0, 4096),
		acq: newHistogram(), byStatus: map[string]int64{}}
	if r.cfg.Settle {
		w.rel = newHistogram()
	}
	return w
}

// loop sends acquires until the run is over or ctx is canceled.
func (w *worker) loop(ctx context.Context) {
	for ctx.Err() == nil {
		at, counted, ok := w.r.claim()
		if !ok {
			return
		}
		if !w.sleepUntil(ctx, at) {
			return
		}
		w.acquire(ctx, at, counted)
	}
}

// sleepUntil waits for an open-loop acquire's scheduled time; it returns
// false when ctx is canceled first.
func (w *worker) sleepUntil(ctx context.Context, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return true
	}
	if w.idleTimer == nil {
		w.idleTimer = time.NewTimer(d)
	} else {
		w.idleTimer.Reset(d)
	}
	select {
	case <-ctx.Done():
		w.idleTimer.Stop()
		return false
	case <-w.idleTimer.C:
		return true
	}
}

// acquire sends one acquire scheduled at at, then releases its lease when
// asked to. Only counted requests are recorded; a request cut short by the
// cancellation of ctx is not recorded at all.
func (w *worker) acquire(ctx context.Context, at time.Time, counted bool) {
	status, err := w.send(ctx, http.MethodPost, w.r.acquireURL, w.r.mix.next(w.rand))
	took := time.Since(at)
	if err != nil && ctx.Err() != nil {
		return
	}
	if counted {
		w.requests++
		w.acq.record(took)
		w.count(status, err)
	}
	if err != nil || status != http.StatusOK || !w.r.cfg.Settle {
		return
	}
	lease := w.leaseID()
	if lease == "" {
		if counted {
			w.releases++
			w.relErrors++ // a grant without a lease id: nothing to release
		}
		return
	}
	start := time.Now()
	status, err = w.send(ctx, http.MethodDelete, w.r.base+"/v1/leases/"+lease, nil)
	took = time.Since(start)
	if !counted || err != nil && ctx.Err() != nil {
		return
	}
	w.releases++
	w.rel.record(took)
	if err != nil || status != http.StatusOK {
		w.relErrors++
	}
}

// count classifies one acquire's answer.
func (w *worker) count(status int, err error) {
	switch {
	case err != nil:
		w.transport++
		if w.firstErr == "" {
			w.firstErr = err.Error()
		}
	case status == http.StatusOK:
		w.granted++
	case status == http.StatusTooManyRequests:
		w.denied++
	default:
		w.byStatus[strconv.Itoa(status)]++
		if w.firstErr == "" {
			w.firstErr = "HTTP " + strconv.Itoa(status) + ": " + string(bytes.TrimSpace(w.buf[:min(len(w.buf), maxErrBody)]))
		}
	}
}

// send makes one request and reads the whole answer into w.buf, so that
// the connection is reused.
func (w *worker) send(ctx context.Context, method, url string, body []byte) (int, error) {
	var rd io.Reader
	if body != nil {
		// A new reader each time: the transport may still hold the last one.
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	req.Header = w.r.header
	resp, err := w.r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	w.buf = w.buf[:0]
	for {
		if len(w.buf) == cap(w.buf) {
			w.buf = append(w.buf, 0)[:len(w.buf)]
		}
		n, err := resp.Body.Read(w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+n]
		if err == io.EOF {
			return resp.StatusCode, nil
		}
		if err != nil {
			return resp.StatusCode, err
		}
	}
}

// leaseID finds the lease id in a grant held in w.buf; the daemon writes
// compact JSON and lease ids need no escaping.
func (w *worker) leaseID() string {
	i := bytes.Index(w.buf, leaseKey)
	if i < 0 {
		return ""
	}
	rest := w.buf[i+len(leaseKey):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}
