package client_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/ratelord/ratelord/client"
)

func TestEventsQueryAndPage(t *testing.T) {
	t.Parallel()
	var query url.Values
	c := MustServe(t, map[string]http.HandlerFunc{
		"GET /v1/events": func(w http.ResponseWriter, r *http.Request) {
			query = r.URL.Query()
			writeJSON(w, 200, `{"events":[{"seq":12,"time":"2025-03-01T12:00:00.25Z","type":"grant",
				"lease_id":"l1","identity":"crawler-1","priority":"normal","pools":{"github-core":1}},
				{"seq":13,"time":"2025-03-01T12:00:01Z","type":"deny","reason":"quota_exhausted","message":"empty"}],
				"next":13}`)
		},
	})
	page, err := c.Events(context.Background(), client.EventQuery{
		Pool: "github-core", Identity: "crawler-1", Type: "grant", After: 11, Limit: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	wantQuery := url.Values{"pool": {"github-core"}, "identity": {"crawler-1"}, "type": {"grant"},
		"after": {"11"}, "limit": {"2"}}
	if !reflect.DeepEqual(query, wantQuery) {
		t.Errorf("query = %v, want %v", query, wantQuery)
	}
	want := client.EventPage{Next: 13, Events: []client.Event{
		{Seq: 12, Time: time.Date(2025, 3, 1, 12, 0, 0, 25e7, time.UTC), Type: client.EventGrant,
			LeaseID: "l1", Identity: "crawler-1", Priority: "normal", Pools: map[string]int64{"github-core": 1}},
		{Seq: 13, Time: time.Date(2025, 3, 1, 12, 0, 1, 0, time.UTC), Type: client.EventDeny,
			Reason: "quota_exhausted", Message: "empty"},
	}}
	if !reflect.DeepEqual(*page, want) {
		t.Errorf("page = %+v\nwant   %+v", *page, want)
	}
}

func TestEventsEmptyPageKeepsCursor(t *testing.T) {
	t.Parallel()
	var query string
	c := MustServe(t, map[string]http.HandlerFunc{
		"GET /v1/events": func(w http.ResponseWriter, r *http.Request) {
			query = r.URL.RawQuery
			writeJSON(w, 200, `{"events":[]}`)
		},
	})
	page, err := c.Events(context.Background(), client.EventQuery{After: 40})
	if err != nil {
		t.Fatal(err)
	}
	if page.Next != 40 || len(page.Events) != 0 {
		t.Errorf("page = %+v, want no events and Next 40", page)
	}
	if query != "after=40" {
		t.Errorf("query = %q, want only after=40", query)
	}
}
