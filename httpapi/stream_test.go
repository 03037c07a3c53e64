package httpapi_test

import (
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
)

func TestStreamSendsNewEventsInOrder(t *testing.T) {
	t.Parallel()
	ts, _ := MustServer(t, "")
	s := MustStream(t, ts, "follow=1")
	acquireAll(t, ts, `{"pool":"p","identity":"a"}`)
	first := s.next(t)
	acquireAll(t, ts, repeat(`{"pool":"p","identity":"b"}`, 3)...)
	evs := append([]governor.Event{first}, s.take(t, 3, first.Seq)...)
	var types []string
	for _, e := range evs {
		types = append(types, string(e.Type))
		if u, _ := e.Pools.Units("p"); u != 1 || e.Time.IsZero() {
			t.Errorf("event %d: %+v, want 1 unit of p and a time", e.Seq, e)
		}
	}
	if got := strings.Join(types, ","); got != "grant,grant,deny,deny" || first.Identity != "a" {
		t.Errorf("types %s, first %+v; want the two grants then the denials", got, first)
	}
}

func TestStreamResumesAfterLastEventID(t *testing.T) {
	t.Parallel()
	ts, _ := MustServer(t, "")
	acquireAll(t, ts, repeat(`{"pool":"tok"}`, 10)...) // grants: committed when answered
	_, out := call(t, ts, "GET", "/v1/events?limit=10000", "")
	last := int64(out["next"].(float64))
	if last < 10 {
		t.Fatalf("log after 10 grants: %v", out)
	}
	s := MustStream(t, ts, "after=2", "Accept", "text/event-stream", "Last-Event-ID", strconv.FormatInt(last-4, 10))
	old := s.take(t, 4, last-4)
	acquireAll(t, ts, `{"pool":"tok","identity":"late"}`)
	if e := s.take(t, 1, last)[0]; e.Identity != "late" || old[3].Seq != last {
		t.Errorf("after the backlog came %+v, want the new grant", e)
	}
}

func TestStreamFilters(t *testing.T) {
	t.Parallel()
	ts, _ := MustServer(t, "")
	const query = "pool=q&identity=b&type=grant"
	s := MustStream(t, ts, query, "Accept", "text/html, text/event-stream;q=0.9")
	acquireAll(t, ts,
		`{"pool":"q","identity":"b"}`, `{"pool":"q","identity":"a"}`, `{"pool":"tok","identity":"b"}`,
		`{"pools":{"q":1,"tok":5},"identity":"b"}`, `{"pool":"p","identity":"b"}`, `{"pool":"q","identity":"b"}`)
	_, out := call(t, ts, "GET", "/v1/events?"+query, "")
	want := out["events"].([]any)
	if len(want) != 3 {
		t.Fatalf("listing with the filter: %v", out)
	}
	for i, w := range want {
		e := s.next(t)
		if wantSeq := int64(w.(map[string]any)["seq"].(float64)); e.Seq != wantSeq {
			t.Fatalf("stream event %d has seq %d, want %d", i, e.Seq, wantSeq)
		}
	}
	// Nothing else matched: the next event on the stream is the next match.
	acquireAll(t, ts, `{"pool":"q","identity":"a"}`, `{"pool":"q","identity":"b","priority":"high"}`)
	if e := s.next(t); e.Priority != "high" || e.Identity != "b" || e.Type != governor.EventGrant {
		t.Errorf("after the backlog came %+v, want the new match", e)
	}
}

func TestStreamSlowReaderGetsEverything(t *testing.T) {
	t.Parallel()
	ts, api := MustServer(t, "")
	api.StreamPoll = time.Millisecond
	s := MustStream(t, ts, "follow=1")
	// The stream is not read while 2000 decisions are made: they must not
	// wait for it, and it must then deliver them all, from the Store, in
	// pages (the handler holds one page at most).
	acquireAll(t, ts, repeat(`{"pool":"p"}`, 2000)...)
	evs := s.take(t, 2000, 0)
	grants := 0
	for _, e := range evs {
		if e.Type == governor.EventGrant {
			grants++
		}
	}
	if grants != 2 {
		t.Errorf("%d grants among 2000 events, want 2 (the rest denials)", grants)
	}
}

func TestStreamEndsWhenClientLeaves(t *testing.T) {
	t.Parallel()
	ts, api := MustServer(t, "")
	s := MustStream(t, ts, "follow=1")
	acquireAll(t, ts, `{"pool":"p"}`)
	s.next(t) // the handler is streaming
	waitFor(t, "the acquire's handler to return", func() bool { return api.InFlight() == 1 })
	s.cancel()
	waitFor(t, "the stream's handler to return", func() bool { return api.InFlight() == 0 })
}

func TestStreamEndsOnShutdown(t *testing.T) {
	t.Parallel()
	ts, api := MustServer(t, "")
	s := MustStream(t, ts, "follow=1")
	acquireAll(t, ts, `{"pool":"p"}`)
	s.next(t)
	api.SetShuttingDown()
	if _, err := io.Copy(io.Discard, s.r); err != nil {
		t.Fatalf("stream after shutdown began: %v, want its end", err)
	}
	// A new stream ends at once, so that EventSource comes back later.
	late := MustStream(t, ts, "follow=1")
	if rest, err := io.ReadAll(late.r); err != nil || strings.Contains(string(rest), "data:") {
		t.Errorf("new stream while stopping: %q, %v; want its end and no events", rest, err)
	}
}

func TestStreamBadParamsAre400(t *testing.T) {
	t.Parallel()
	ts, _ := MustServer(t, "")
	for _, tc := range []struct{ path, lastID, mentions string }{
		{"/v1/events?follow=1&type=grants", "", "type"},
		{"/v1/events?follow=1&after=-1", "", "after"},
		{"/v1/events?follow=maybe", "", "follow=1"},
		{"/v1/events?follow=1", "seven", "Last-Event-ID"},
	} {
		hdr := []string{"Accept", "text/event-stream"}
		if tc.lastID != "" {
			hdr = append(hdr, "Last-Event-ID", tc.lastID)
		}
		resp, out := call(t, ts, "GET", tc.path, "", hdr...)
		if code, msg := errCode(out); resp.StatusCode != 400 || !strings.Contains(msg, tc.mentions) {
			t.Errorf("%s (Last-Event-ID %q): %d %s %q, want 400 mentioning %q", tc.path, tc.lastID, resp.StatusCode, code, msg, tc.mentions)
		}
	}
}
