package main

import (
	"context"

	"github.com/ratelord/ratelord/client"
)

// maxPage is the largest page the daemon serves; skipping to the end of
// the log reads pages this big.
const maxPage = 10000

// followEvents prints the events of the daemon's live stream (server-sent
// events, see client.Follow) until SIGINT or SIGTERM, which is a normal end
// (exit 0). Unless fromAfter, it first skips to the end of the log, as
// tail -f does. With --json each event is its JSON on one line.
func (c *cli) followEvents(cl *client.Client, q client.EventQuery, fromAfter bool) int {
	ctx, stop := c.interruptible(context.Background())
	defer stop()
	if !fromAfter {
		end, err := c.endOfLog(ctx, cl, q)
		if ctx.Err() != nil {
			return exitOK
		}
		if err != nil {
			return c.fail(err)
		}
		q.After = end
	}
	err := cl.Follow(ctx, q, func(e client.Event) error {
		if c.json {
			c.printRaw() // the event's JSON, which Follow just passed to OnResponse
		} else {
			writeEvent(c.stdout, e)
		}
		return nil
	})
	if ctx.Err() != nil {
		return exitOK
	}
	return c.fail(err)
}

// endOfLog returns the seq of the last event matching q's filters, reading
// the log from q.After in the largest pages.
func (c *cli) endOfLog(ctx context.Context, cl *client.Client, q client.EventQuery) (int64, error) {
	q.Limit = maxPage
	for {
		page, err := c.eventsPage(ctx, cl, q)
		if err != nil {
			return 0, err
		}
		q.After = page.Next
		if len(page.Events) < maxPage {
			return q.After, nil
		}
	}
}

// eventsPage reads one page, bounded by requestTimeout.
func (c *cli) eventsPage(ctx context.Context, cl *client.Client, q client.EventQuery) (*client.EventPage, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	return cl.Events(ctx, q)
}
