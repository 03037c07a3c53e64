package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

func healthCmd() *command {
	return &command{
		name:    "health",
		args:    "[--ready]",
		summary: "check that the daemon is alive, or with --ready that it accepts work",
		help: `Asks ratelord-d's /healthz (is the process alive?) or, with --ready, its
/readyz (policy loaded, store reachable, not shutting down). Exits 0 when the
answer is good and 1 otherwise, so it serves as a container health check or a
Kubernetes exec probe. Needs no token.`,
		run: runHealth,
	}
}

func runHealth(c *cli, cmd *command, args []string) int {
	fs := c.flagSet("ratelord health")
	ready := fs.Bool("ready", false, "check readiness (/readyz) instead of liveness (/healthz)")
	pos, err := c.args(fs, args)
	if err == nil && len(pos) > 0 {
		err = fmt.Errorf("unexpected argument %q", pos[0])
	}
	if err != nil {
		return c.usageError(cmd, fs, err)
	}
	cl, err := c.client()
	if err != nil {
		return c.usageError(cmd, fs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if !*ready {
		h, err := cl.Health(ctx)
		c.printRaw()
		if err != nil {
			return c.fail(err)
		}
		if !c.json {
			fmt.Fprintf(c.stdout, "%s: ratelord-d %s\n", h.Status, h.Version)
		}
		return exitOK
	}
	r, err := cl.Ready(ctx)
	c.printRaw()
	if err != nil {
		return c.fail(err)
	}
	if !c.json {
		var checks []string
		for k, v := range r.Checks {
			checks = append(checks, k+"="+strings.Trim(string(v), `"`))
		}
		sort.Strings(checks)
		fmt.Fprintf(c.stdout, "%s: %s\n", r.Status, strings.Join(checks, ", "))
	}
	if !r.Ready {
		return c.fail(errors.New("ratelord-d is not ready"))
	}
	return exitOK
}
