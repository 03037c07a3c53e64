package main

import (
	"context"
	"errors"
	"fmt"
)

func releaseCmd() *command {
	return &command{
		name:    "release",
		args:    "LEASE",
		summary: "close a lease, keeping its charge",
		help: `Closes an open lease; the units it charged stay charged (use settle to
refund). A lease that is already closed or expired is an error
(unknown_lease).`,
		run: runRelease,
	}
}

func runRelease(c *cli, cmd *command, args []string) int {
	fs := c.flagSet("ratelord release")
	pos, err := c.args(fs, args)
	if err == nil && len(pos) != 1 {
		err = errors.New("want exactly one LEASE")
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
	err = cl.Release(ctx, pos[0])
	c.printRaw()
	if err != nil {
		return c.fail(err)
	}
	if !c.json {
		fmt.Fprintf(c.stdout, "released %s\n", pos[0])
	}
	return exitOK
}
