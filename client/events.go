package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Event types of the audit log (Event.Type).
const (
	EventGrant   = "grant"
	EventDeny    = "deny"
	EventSettle  = "settle"
	EventRelease = "release"
	EventExpire  = "expire"
	EventObserve = "observe"
	EventReload  = "reload"
	EventHold    = "hold"
)

// Event is one entry of the daemon's audit log.
type Event struct {
	// Seq is the event's position in the log; it only grows.
	Seq int64 `json:"seq"`
	// Time is when the event happened; for a grant, when its units count
	// against the windows (for a waited grant, its slot).
	Time time.Time `json:"time"`
	// Type is one of the Event* constants.
	Type string `json:"type"`
	// LeaseID is the lease the event concerns, if any.
	LeaseID string `json:"lease_id,omitempty"`
	// Identity is who asked, if known.
	Identity string `json:"identity,omitempty"`
	// Priority is the request's priority, if any.
	Priority string `json:"priority,omitempty"`
	// Pools maps pool names to units: for a grant the charged costs, for a
	// settle the new actual costs.
	Pools map[string]int64 `json:"pools,omitempty"`
	// Reason is a denial's or hold's reason.
	Reason string `json:"reason,omitempty"`
	// Message explains the event for a person.
	Message string `json:"message,omitempty"`
}

// EventQuery selects events of the audit log. Zero fields match everything.
type EventQuery struct {
	// Pool keeps only events that concern this pool.
	Pool string
	// Identity keeps only events of this identity.
	Identity string
	// Type keeps only events of this type.
	Type string
	// After keeps only events with Seq greater than After (a cursor: pass
	// the previous page's Next).
	After int64
	// Limit caps the number of events; 0 means the daemon's default (100).
	Limit int
}

// values encodes q as URL query parameters.
func (q EventQuery) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("pool", q.Pool)
	set("identity", q.Identity)
	set("type", q.Type)
	if q.After > 0 {
		v.Set("after", strconv.FormatInt(q.After, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// EventPage is one page of the audit log, oldest first.
type EventPage struct {
	// Events are the events of the page in ascending Seq.
	Events []Event `json:"events"`
	// Next is the cursor for the following page: pass it as After.
	Next int64 `json:"next"`
}

// Events reads one page of the audit log.
func (c *Client) Events(ctx context.Context, q EventQuery) (*EventPage, error) {
	var out EventPage
	if err := c.call(ctx, http.MethodGet, "/v1/events", q.values(), nil, &out); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	if out.Next < q.After {
		// An empty page may carry no cursor; stay where we were.
		out.Next = q.After
	}
	return &out, nil
}
