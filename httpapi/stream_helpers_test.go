package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
)

// streamTimeout bounds every wait on a stream's data.
const streamTimeout = 20 * time.Second

// sseStream reads an event stream one message at a time, only when asked,
// so that a test can also leave it unread.
type sseStream struct {
	resp   *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

// MustStream opens GET /v1/events?query as a stream and checks its headers.
// hdr holds extra request headers as name, value pairs.
func MustStream(tb testing.TB, ts *httptest.Server, query string, hdr ...string) *sseStream {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), streamTimeout)
	tb.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", ts.URL+"/v1/events?"+query, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { resp.Body.Close() })
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Type") != "text/event-stream" ||
		h.Get("Cache-Control") != "no-cache" || h.Get("X-Accel-Buffering") != "no" {
		raw, _ := io.ReadAll(resp.Body)
		tb.Fatalf("stream ?%s: %d %v %s", query, resp.StatusCode, h, raw)
	}
	return &sseStream{resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
}

// next returns the next event: its id, its event name and its data decoded.
// It skips comments and messages without data, and fails the test when the
// stream ends or streamTimeout passes first.
func (s *sseStream) next(tb testing.TB) governor.Event {
	tb.Helper()
	var id, name, data string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			tb.Fatalf("stream: %v (partial message id=%q event=%q)", err, id, name)
		}
		line = strings.TrimSuffix(line, "\n")
		field, value, _ := strings.Cut(line, ": ")
		switch {
		case line != "":
			switch field {
			case "id":
				id = value
			case "event":
				name = value
			case "data":
				data = value
			}
		case data != "": // the end of a message with data
			var e governor.Event
			if err := json.Unmarshal([]byte(data), &e); err != nil {
				tb.Fatalf("stream data %q: %v", data, err)
			}
			if id != strconv.FormatInt(e.Seq, 10) || name != string(e.Type) {
				tb.Fatalf("message id=%q event=%q for event %d %s", id, name, e.Seq, e.Type)
			}
			return e
		}
	}
}

// take reads n events and checks that they follow after, one seq apart.
func (s *sseStream) take(tb testing.TB, n int, after int64) []governor.Event {
	tb.Helper()
	evs := make([]governor.Event, n)
	for i := range evs {
		evs[i] = s.next(tb)
		if want := after + int64(i) + 1; evs[i].Seq != want {
			tb.Fatalf("event %d of %d has seq %d, want %d", i+1, n, evs[i].Seq, want)
		}
	}
	return evs
}

// acquireAll posts each body to /v1/acquire from a few workers at once.
func acquireAll(tb testing.TB, ts *httptest.Server, bodies ...string) {
	tb.Helper()
	work := make(chan string)
	errs := make(chan error, len(bodies))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for body := range work {
				resp, err := ts.Client().Post(ts.URL+"/v1/acquire", "application/json", strings.NewReader(body))
				if err != nil {
					errs <- err
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 && resp.StatusCode != 429 {
					errs <- fmt.Errorf("acquire %s: HTTP %d", body, resp.StatusCode)
				}
			}
		})
	}
	for _, b := range bodies {
		work <- b
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// repeat returns n copies of body.
func repeat(body string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = body
	}
	return out
}

// waitFor waits until cond holds, for at most streamTimeout.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(streamTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
