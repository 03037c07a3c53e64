package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ratelord/ratelord/governor"
)

// Event stream settings.
const (
	defaultStreamPoll = 200 * time.Millisecond
	// streamPage is the most events a stream reads from the Store at once:
	// all that a stream ever holds in memory.
	streamPage = 500
	// streamPing is how long a stream may stay silent before it sends a
	// comment, so that proxies keep the connection open.
	streamPing = 15 * time.Second
	// streamWriteTimeout bounds each write: a client that reads nothing
	// for this long is cut off (it resumes with Last-Event-ID).
	streamWriteTimeout = time.Minute
	// streamRetryMS is the reconnection delay suggested to EventSource.
	streamRetryMS = 1000
)

// wantsStream reports whether r asks for the live stream: follow, when
// given, decides; otherwise an Accept header naming text/event-stream.
func wantsStream(r *http.Request) (bool, error) {
	if v := r.URL.Query().Get("follow"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, invalid("follow=" + v + " is not a boolean: use follow=1 for a live stream, or leave it out")
		}
		return b, nil
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(mt), "text/event-stream") {
			return true, nil
		}
	}
	return false, nil
}

// stream serves the audit log as Server-Sent Events: the events after
// eq.After (or after Last-Event-ID, which a reconnecting EventSource sends
// and which wins over after=) that match eq's filters, then new ones as
// they are committed, until the client leaves or the server shuts down.
// The limit parameter does not apply. While the server shuts down, a new
// stream ends at once rather than answer 503: EventSource gives up for good
// on an error status, but reconnects after a stream ends.
//
// Each stream reads the Store in pages of streamPage and, once caught up,
// looks again every StreamPoll. Nothing is buffered for it elsewhere, so a
// slow client only delays its own reads and holds at most one page.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, eq governor.EventQuery) {
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			s.fail(w, r, invalid("Last-Event-ID "+strconv.Quote(v)+" is not a sequence number: send the id of the last event received"))
			return
		}
		eq.After = n
	}
	eq.Limit = streamPage
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := writeFlush(w, rc, fmt.Sprintf("retry: %d\n\n", streamRetryMS)); err != nil {
		return
	}
	poll := s.StreamPoll
	if poll <= 0 {
		poll = defaultStreamPoll
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	ping := time.NewTimer(streamPing)
	defer ping.Stop()
	ctx := r.Context()
	for !s.stopping.Load() {
		n, full, err := s.sendPage(ctx, w, rc, &eq)
		if err != nil {
			if ctx.Err() == nil {
				s.Logger.Warn("event stream ended", "err", err)
			}
			return
		}
		if n > 0 {
			ping.Reset(streamPing)
		}
		if full {
			continue // more are waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-ping.C:
			if writeFlush(w, rc, ": ping\n\n") != nil {
				return
			}
			ping.Reset(streamPing)
		}
	}
}

// sendPage writes the next page of events after eq.After, flushes it and
// moves eq.After past it. It returns how many events it sent and whether
// the page was full (more may be waiting).
func (s *Server) sendPage(ctx context.Context, w io.Writer, rc *http.ResponseController, eq *governor.EventQuery) (int, bool, error) {
	// With a filter, a short page means nothing matched up to the highest
	// seq committed before the query, so the next query may start there
	// instead of scanning the same non-matching events again.
	var committed int64
	if eq.Pool != "" || eq.Identity != "" || eq.Type != "" {
		var err error
		if committed, err = s.Store.LastSeq(ctx); err != nil {
			return 0, false, err
		}
	}
	evs, err := s.Store.Events(ctx, *eq)
	if err != nil {
		return 0, false, err
	}
	full := len(evs) >= eq.Limit
	if len(evs) > 0 {
		eq.After = evs[len(evs)-1].Seq
	}
	if !full {
		eq.After = max(eq.After, committed)
	}
	if len(evs) == 0 {
		return 0, full, nil
	}
	_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	for _, e := range evs {
		data, err := json.Marshal(e)
		if err != nil {
			return 0, false, fmt.Errorf("encode event %d: %w", e.Seq, err)
		}
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, data); err != nil {
			return 0, false, err
		}
	}
	return len(evs), full, rc.Flush()
}

// writeFlush writes msg and flushes it, within streamWriteTimeout.
func writeFlush(w io.Writer, rc *http.ResponseController, msg string) error {
	_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	return rc.Flush()
}
