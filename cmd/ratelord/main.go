// Command ratelord is the command-line client of ratelord-d: it shows pool
// status, acquires and settles quota, runs commands under a lease, follows
// the audit log, checks policy files and load-tests the daemon.
//
// Exit codes: 0 granted or ok, 1 error, 2 usage error, 3 denied. exec
// exits with its command's code instead (128+N when a signal killed it,
// 126 when it cannot run, 127 when it is not found).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

// Exit codes.
const (
	exitOK        = 0
	exitError     = 1
	exitUsage     = 2
	exitDenied    = 3
	exitCannotRun = 126
	exitNotFound  = 127
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run is the whole program: it parses args, runs the subcommand and returns
// the exit code. Tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{
		stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv,
		notify: signal.Notify, stopNotify: signal.Stop,
		now: time.Now, sleep: sleepCtx,
	}
	return c.main(args)
}

// cli holds one invocation's streams, environment and global settings.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// notify and stopNotify register for signals (signal.Notify and
	// signal.Stop); tests replace them to deliver signals by hand.
	notify     func(c chan<- os.Signal, sig ...os.Signal)
	stopNotify func(c chan<- os.Signal)
	now        func() time.Time
	// sleep waits between acquire attempts (sleepCtx).
	sleep func(ctx context.Context, d time.Duration) error

	// Global settings: flag beats env beats default.
	url   string
	token string
	json  bool
	// raw is the body of the daemon's last answer, for --json.
	raw []byte
}

// command is one subcommand.
type command struct {
	name    string
	args    string // the synopsis after the name
	summary string // one line for the command list
	help    string // the details for "ratelord help NAME"
	run     func(c *cli, cmd *command, args []string) int
}

// commands lists the subcommands in the order "ratelord help" shows them.
func commands() []*command {
	return []*command{
		statusCmd(), acquireCmd(), settleCmd(), releaseCmd(), execCmd(),
		eventsCmd(), policyCmd(), reloadCmd(), benchCmd(), healthCmd(), versionCmd(), helpCmd(),
	}
}

// lookup returns the subcommand called name, or nil.
func lookup(name string) *command {
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd
		}
	}
	return nil
}

// main parses the global flags and dispatches to the subcommand. Global
// flags may also follow the subcommand's name.
func (c *cli) main(args []string) int {
	c.url = c.getenv("RATELORD_URL")
	if c.url == "" {
		c.url = defaultURL
	}
	c.token = c.getenv("RATELORD_AUTH_TOKEN")
	fs := c.flagSet("ratelord")
	rest, err := c.parse(fs, args, true)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.usage(c.stdout)
		return exitOK
	case err != nil:
		fmt.Fprintf(c.stderr, "ratelord: %v\n", err)
		c.usage(c.stderr)
		return exitUsage
	case len(rest.pos) == 0:
		c.usage(c.stderr)
		return exitUsage
	}
	cmd := lookup(rest.pos[0])
	if cmd == nil {
		fmt.Fprintf(c.stderr, "ratelord: unknown command %q (run 'ratelord help' for the list)\n", rest.pos[0])
		return exitUsage
	}
	return cmd.run(c, cmd, append(rest.pos[1:], rest.after...))
}

// usage prints the command list.
func (c *cli) usage(w io.Writer) {
	fmt.Fprint(w, `usage: ratelord [--url URL] [--token TOKEN] [--json] COMMAND [ARGS]

ratelord asks ratelord-d for quota before a program spends it upstream.

commands:
`)
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(w, `
global flags (also accepted after the command):
  --url URL      the daemon (env RATELORD_URL, default `+defaultURL+`)
  --token TOKEN  bearer token (env RATELORD_AUTH_TOKEN)
  --json         print the daemon's JSON answer on stdout

exit codes: 0 ok or granted, 1 error, 2 usage error, 3 denied.
Run 'ratelord help COMMAND' for a command's flags.
`)
}
