package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/ratelord/ratelord/client"
)

// requestTimeout bounds a call that does not wait for quota, so that a hung
// daemon does not hang a script.
const requestTimeout = 30 * time.Second

// fail reports err on stderr in words that say what to fix, and returns the
// exit code: 3 for a denial, 1 for anything else.
func (c *cli) fail(err error) int {
	var denied *client.Denied
	if errors.As(err, &denied) {
		fmt.Fprintln(c.stderr, denied.Error())
		return exitDenied
	}
	if why, ok := unreachable(err); ok {
		fmt.Fprintf(c.stderr, "ratelord: cannot reach ratelord-d at %s: %s (is it running? set --url or RATELORD_URL)\n",
			c.url, why)
		return exitError
	}
	if errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(c.stderr, "ratelord: ratelord-d at %s did not answer in time: %v\n", c.url, err)
		return exitError
	}
	var api *client.APIError
	if errors.As(err, &api) && api.Status == http.StatusUnauthorized {
		hint := "set --token or RATELORD_AUTH_TOKEN"
		if c.token != "" {
			hint = "check --token or RATELORD_AUTH_TOKEN"
		}
		fmt.Fprintf(c.stderr, "ratelord: %v (%s)\n", err, hint)
		return exitError
	}
	fmt.Fprintf(c.stderr, "ratelord: %v\n", err)
	if api != nil {
		for _, f := range api.Findings {
			fmt.Fprintf(c.stderr, "  %s\n", f)
		}
	}
	return exitError
}

// unreachable reports whether err means no connection to the daemon could
// be made, and why in a few words ("connection refused").
func unreachable(err error) (string, bool) {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		return "", false
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error(), true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.Error(), true
	}
	return op.Err.Error(), true
}

// interruptible returns a context that is canceled when SIGINT or SIGTERM
// arrives, and a function that stops listening and cancels it.
func (c *cli) interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 1)
	c.notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
		}
	}()
	return ctx, func() {
		c.stopNotify(sigs)
		close(done)
		cancel()
	}
}

// signalExit is the conventional exit code of a process ended by sig.
func signalExit(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitError
}
