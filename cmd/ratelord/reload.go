package main

import (
	"context"
	"fmt"
)

func reloadCmd() *command {
	return &command{
		name:    "reload",
		args:    "",
		summary: "make ratelord-d reload its policy file",
		help: `Asks ratelord-d to read its policy file again (as SIGHUP does). On success
prints where it was read from and how many pools it holds. An invalid policy
is refused and the daemon keeps the old one: the findings are printed on
stderr, one per line, and the exit code is 1. Check a file before you
deploy it with 'ratelord policy check FILE'.`,
		run: runReload,
	}
}

func runReload(c *cli, cmd *command, args []string) int {
	fs := c.flagSet("ratelord reload")
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
	res, err := cl.Reload(ctx)
	c.printRaw()
	if err != nil {
		return c.fail(err)
	}
	if !c.json {
		fmt.Fprintf(c.stdout, "reloaded %s: %d pools\n", res.Source, res.Pools)
	}
	return exitOK
}
