package main

import (
	"fmt"
)

func helpCmd() *command {
	return &command{
		name:    "help",
		args:    "[COMMAND]",
		summary: "show the commands, or one command's flags",
		help:    `Without COMMAND, lists the commands. With COMMAND, shows its usage and flags.`,
		run:     runHelp,
	}
}

func runHelp(c *cli, cmd *command, args []string) int {
	fs := c.flagSet("ratelord help")
	pos, err := c.args(fs, args)
	if err == nil && len(pos) > 1 {
		err = fmt.Errorf("want at most one COMMAND, got %q", pos)
	}
	if err != nil {
		return c.usageError(cmd, fs, err)
	}
	if len(pos) == 0 {
		c.usage(c.stdout)
		return exitOK
	}
	target := lookup(pos[0])
	if target == nil {
		fmt.Fprintf(c.stderr, "ratelord help: unknown command %q\n", pos[0])
		c.usage(c.stderr)
		return exitUsage
	}
	// Every command prints its help, and nothing else, for -h.
	return target.run(c, target, []string{"-h"})
}
