package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Poller defaults, used when the field is zero.
const (
	DefaultPollURL   = "https://api.github.com" // Poller.URL
	DefaultPollEvery = 60 * time.Second         // Poller.Every
)

const (
	// maxBody bounds how much of a /rate_limit answer is read.
	maxBody = 1 << 20
	// maxRetryAfter bounds how long a Retry-After may stop the polling.
	maxRetryAfter = time.Hour
)

// Log attribute keys.
const (
	attrErr      = "err"
	attrStatus   = "status"
	attrFailures = "failures"
	attrRetryIn  = "retry_in"
)

// defaultPollClient bounds every poll, as http.DefaultClient has no timeout.
var defaultPollClient = &http.Client{Timeout: 30 * time.Second}

// Poller reads GET {URL}/rate_limit with the token and reports each
// resource. Every field is optional; zero values take the documented
// defaults.
type Poller struct {
	URL    string                                           // e.g. https://api.github.com (the default)
	Token  string                                           // sent as Authorization: Bearer; never logged, never in errors; empty: unauthenticated
	Every  time.Duration                                    // poll period; default 60s
	Client *http.Client                                     // default: a client with a 30s timeout
	Logger *slog.Logger                                     // default: discard
	Now    func() time.Time                                 // default: time.Now
	Sleep  func(ctx context.Context, d time.Duration) error // default: a timer that stops early when ctx ends
	Report func(Observation)                                // called after each successful poll, one Dimension per resource; default: none
}

// Run polls until ctx ends, then returns ctx.Err() (or earlier, with the
// error of a Sleep that failed while ctx was still live). The first poll is
// immediate. After a success Run reports the observation and waits Every.
// After n consecutive failures (network, non-200, bad JSON) it waits
// Every×2^n (2, 4, 8, then 10×Every), less up to 20% of jitter, and never
// less than a Retry-After the upstream sent (up to an hour, GitHub's
// longest window). A 401 or 403 is logged at level error once per episode
// of failures (later ones at debug; a 403 that reports a rate limit is not
// an auth failure); other failures at level warn.
func (p *Poller) Run(ctx context.Context) error {
	every := p.every()
	failures := 0
	authLogged := false
	for {
		obs, err := p.PollOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		delay := every
		if err == nil {
			if failures > 0 {
				p.logger().Info("github rate_limit poll recovered", attrFailures, failures)
			}
			failures, authLogged = 0, false
			if p.Report != nil {
				p.Report(obs)
			}
		} else {
			failures++
			delay = max(backoff(every, failures), min(obs.RetryAfter, maxRetryAfter))
			// A 403 that is a rate limit says nothing about the token.
			auth := (obs.Status == http.StatusUnauthorized || obs.Status == http.StatusForbidden) && !obs.Limited
			switch {
			case auth && !authLogged:
				authLogged = true
				p.logger().Error("github rate_limit poll rejected the token", attrStatus, obs.Status, attrErr, err.Error(), attrRetryIn, delay)
			case auth:
				p.logger().Debug("github rate_limit poll failed", attrStatus, obs.Status, attrErr, err.Error(), attrFailures, failures, attrRetryIn, delay)
			default:
				p.logger().Warn("github rate_limit poll failed", attrStatus, obs.Status, attrErr, err.Error(), attrFailures, failures, attrRetryIn, delay)
			}
		}
		if err := p.sleep(ctx, delay); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("poll rate_limit: sleep: %w", err)
		}
	}
}

// backoff returns the wait after n consecutive failures: every×2^n capped at
// 10×every, less a random 0–20% so that replicas drift apart.
func backoff(every time.Duration, n int) time.Duration {
	ceiling := 10 * every
	d := every
	for i := 0; i < n && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	if j := int64(d / 5); j > 0 {
		d -= time.Duration(rand.Int64N(j + 1))
	}
	return d
}

// PollOnce makes one GET /rate_limit and returns the observation without
// reporting it. On failure the observation still carries the status and
// Retry-After of the answer, if there was one. Errors never contain the
// token.
func (p *Poller) PollOnce(ctx context.Context) (Observation, error) {
	now := p.now()
	obs := Observation{At: now}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(p.url(), "/")+"/rate_limit", nil)
	if err != nil {
		return obs, p.redact(fmt.Errorf("poll rate_limit: %w", err))
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "ratelord")
	if p.Token != "" {
		req.Header.Set("Authorization", "Bearer "+p.Token)
	}
	client := p.Client
	if client == nil {
		client = defaultPollClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return obs, p.redact(fmt.Errorf("poll rate_limit: %w", err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	obs = Parse(DialectGitHub, resp.Header, resp.StatusCode, now)
	obs.Dimensions = nil
	if err != nil {
		return obs, p.redact(fmt.Errorf("poll rate_limit: read body: %w", err))
	}
	if resp.StatusCode != http.StatusOK {
		return obs, p.redact(fmt.Errorf("poll rate_limit: %s%s", resp.Status, githubMessage(body)))
	}
	dims, err := ParseRateLimitBody(body, now)
	if err != nil {
		return obs, p.redact(fmt.Errorf("poll rate_limit: %w", err))
	}
	obs.Dimensions = dims
	return obs, nil
}

// githubMessage returns ": " and the "message" of a GitHub error body
// (such as "Bad credentials"), shortened, or "" if there is none.
func githubMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil || e.Message == "" {
		return ""
	}
	const maxLen = 200
	if len(e.Message) > maxLen {
		e.Message = e.Message[:maxLen] + "..."
	}
	return ": " + e.Message
}

// redact replaces the token wherever an error might quote it (a server
// echoing it back, a URL holding it).
func (p *Poller) redact(err error) error {
	if p.Token == "" || !strings.Contains(err.Error(), p.Token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), p.Token, "[REDACTED]"))
}

func (p *Poller) url() string {
	if p.URL == "" {
		return DefaultPollURL
	}
	return p.URL
}

func (p *Poller) every() time.Duration {
	if p.Every <= 0 {
		return DefaultPollEvery
	}
	return p.Every
}

func (p *Poller) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

func (p *Poller) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

func (p *Poller) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
