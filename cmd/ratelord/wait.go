package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ratelord/ratelord/client"
)

const (
	// maxHold caps the max_wait of one request, so that no single HTTP
	// request has to outlive proxies' and the daemon's timeouts.
	maxHold = 60 * time.Second
	// noRetryPoll is how soon to ask again after a denial that gave no
	// retry time (a concurrency slot frees up whenever a lease closes).
	noRetryPoll = time.Second
	// minRetry keeps a tiny retry time from turning into a busy loop.
	minRetry = 10 * time.Millisecond
)

// acquireWaiting asks for req until it is granted or wait has run out. Each
// request lets the daemon hold it for min(remaining wait, maxHold); a
// denial whose retry time still fits in the wait is retried after that
// time, so that concurrency limits and held pools are waited out too. When
// the wait runs out it returns the last *client.Denied.
func (c *cli) acquireWaiting(ctx context.Context, cl *client.Client, req client.AcquireRequest,
	wait time.Duration) (*client.Grant, error) {
	deadline := c.now().Add(wait)
	announced := false
	left := wait // exact on the first request, so the daemon sees --wait as given
	for {
		req.MaxWait = min(max(left, 0), maxHold)
		g, err := c.acquireOnce(ctx, cl, req)
		var d *client.Denied
		if !errors.As(err, &d) {
			return g, err
		}
		retry := max(d.RetryAfter, minRetry)
		if d.RetryAfter <= 0 {
			retry = noRetryPoll
		}
		if c.now().Add(retry).After(deadline) {
			return nil, err
		}
		if !announced {
			announced = true
			fmt.Fprintf(c.stderr, "ratelord: waiting for %s (%s), up to %s\n",
				poolNames(req), d.Reason, approx(deadline.Sub(c.now())))
		}
		if err := c.sleep(ctx, retry); err != nil {
			return nil, err
		}
		left = deadline.Sub(c.now()).Truncate(time.Millisecond)
	}
}

// sleepCtx waits for d, or until ctx is done and returns its error.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// acquireOnce sends one acquire, bounded by its hold time plus a margin.
func (c *cli) acquireOnce(ctx context.Context, cl *client.Client, req client.AcquireRequest) (*client.Grant, error) {
	ctx, cancel := context.WithTimeout(ctx, req.MaxWait+requestTimeout)
	defer cancel()
	return cl.Acquire(ctx, req)
}

// poolNames names the pools of req for messages.
func poolNames(req client.AcquireRequest) string {
	if req.Pool != "" {
		return req.Pool
	}
	s := ""
	for name := range req.Pools {
		if s != "" {
			s += ", "
		}
		s += name
	}
	return s
}
