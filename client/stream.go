package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Follow's reconnection and reading limits.
const (
	followBackoffMin = 100 * time.Millisecond
	followBackoffMax = 5 * time.Second
	// followIdle is how long a stream may stay silent before Follow deems
	// the connection dead and reconnects; the daemon pings every 15s.
	followIdle = 45 * time.Second
	// maxStreamLine bounds one line of the stream (one event's JSON).
	maxStreamLine = 1 << 20
)

// Follow streams the audit log: it calls fn, in Seq order, for every event
// after q.After that matches q's filters, then for each new one as the
// daemon commits it, until ctx is done or fn returns an error. q.Limit is
// ignored. Follow returns fn's error as is, ctx's error, or the error that
// ended the stream.
//
// The events come as Server-Sent Events over one long request. When the
// connection drops after the stream began (the daemon restarted, a proxy
// closed it, nothing arrived for 45s), Follow reconnects after a short
// backoff and resumes with Last-Event-ID right after the last event fn got,
// so no event is missed or repeated. A failure of the first connection, and
// any 4xx answer, ends Follow at once.
//
// OnResponse, when set, sees each event's JSON just before fn gets the
// event, as a 200 answer to GET /v1/events, and the body of an error answer.
func (c *Client) Follow(ctx context.Context, q EventQuery, fn func(Event) error) error {
	last := q.After
	var fnErr error
	deliver := func(e Event) bool {
		if fnErr = fn(e); fnErr != nil {
			return false
		}
		last = e.Seq
		return true
	}
	began := false
	backoff := followBackoffMin
	for {
		from := last
		opened, retry, err := c.followOnce(ctx, q, from, began, deliver)
		switch {
		case fnErr != nil:
			return fnErr
		case ctx.Err() != nil:
			return ctx.Err()
		case !retry, !began && !opened:
			return fmt.Errorf("follow events: %w", err)
		}
		began = true
		if last != from {
			backoff = followBackoffMin
		}
		// Half to all of the backoff, so that followers that lost the same
		// daemon do not all come back at the same instant.
		t := time.NewTimer(backoff/2 + rand.N(backoff/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, followBackoffMax)
	}
}

// errIdle ends a stream that stayed silent for followIdle.
var errIdle = fmt.Errorf("no data from the event stream for %s", followIdle)

// followOnce opens one stream of events after after (sent as Last-Event-ID
// when resume) and hands each to deliver until deliver returns false or
// the stream ends. It reports whether the daemon answered 200, whether
// trying again may help (not after a 4xx or an undecodable event), and the
// reason the stream ended.
func (c *Client) followOnce(ctx context.Context, q EventQuery, after int64, resume bool, deliver func(Event) bool) (opened, retry bool, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	v := q.values()
	v.Del("limit")
	v.Set("follow", "1")
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/events", v, nil)
	if err != nil {
		return false, false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if resume {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(after, 10))
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return false, true, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxStreamLine))
		if c.OnResponse != nil {
			c.OnResponse(http.MethodGet, "/v1/events", resp.StatusCode, body)
		}
		return false, resp.StatusCode >= 500, (&response{status: resp.StatusCode, header: resp.Header, body: body}).apiError()
	}
	idle := time.AfterFunc(followIdle, func() { cancel(errIdle) })
	defer idle.Stop()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 4096), maxStreamLine)
	var data []byte
	hasData := false
	for sc.Scan() {
		idle.Reset(followIdle)
		line := sc.Bytes()
		if len(line) > 0 {
			// Only data matters: an event's id is its seq, its name its type.
			if value, ok := bytes.CutPrefix(line, []byte("data:")); ok {
				if hasData {
					data = append(data, '\n')
				}
				data = append(data, bytes.TrimPrefix(value, []byte(" "))...)
				hasData = true
			}
			continue
		}
		if !hasData {
			continue // a ping or the retry hint
		}
		var e Event
		if err := json.Unmarshal(data, &e); err != nil {
			return true, false, fmt.Errorf("decode streamed event: %w", err)
		}
		if c.OnResponse != nil {
			c.OnResponse(http.MethodGet, "/v1/events", http.StatusOK, data)
		}
		if !deliver(e) {
			return true, false, nil
		}
		data, hasData = data[:0], false
	}
	if context.Cause(ctx) == errIdle {
		return true, true, errIdle
	}
	if err := sc.Err(); err != nil {
		return true, !errors.Is(err, bufio.ErrTooLong), fmt.Errorf("read event stream: %w", err)
	}
	return true, true, errors.New("the event stream ended")
}
