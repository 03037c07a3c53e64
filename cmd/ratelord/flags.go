package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/ratelord/ratelord/client"
)

const defaultURL = client.DefaultURL

// flagSet returns a flag set that also accepts the global flags, so that
// they may come before or after the subcommand's name. It prints nothing:
// errors and help are reported by the caller.
func (c *cli) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Func("url", "the daemon's base `URL` (env RATELORD_URL, default "+defaultURL+")",
		func(s string) error { c.url = s; return nil })
	fs.Func("token", "bearer `TOKEN` for the daemon (env RATELORD_AUTH_TOKEN)",
		func(s string) error { c.token = s; return nil })
	fs.BoolVar(&c.json, "json", c.json, "print the daemon's JSON answer on stdout")
	return fs
}

// parsed is a command line split into positional arguments and what
// follows "--".
type parsed struct {
	pos    []string
	after  []string
	dashed bool // "--" was given
}

// parse parses flags wherever they appear among positional arguments,
// until "--". With stopAtFirst it stops at the first positional argument
// and leaves everything from there in pos.
func (c *cli) parse(fs *flag.FlagSet, args []string, stopAtFirst bool) (parsed, error) {
	var p parsed
	for {
		if err := fs.Parse(args); err != nil {
			return p, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			p.after, p.dashed = rest, true
			return p, nil
		}
		if len(rest) == 0 {
			return p, nil
		}
		if stopAtFirst {
			p.pos = rest
			return p, nil
		}
		p.pos = append(p.pos, rest[0])
		args = rest[1:]
	}
}

// args parses a subcommand's command line and returns its positional
// arguments, including any after "--".
func (c *cli) args(fs *flag.FlagSet, args []string) ([]string, error) {
	p, err := c.parse(fs, args, false)
	return append(p.pos, p.after...), err
}

// usageError reports a bad command line and returns exit code 2, or prints
// the command's help and returns 0 when err is flag.ErrHelp.
func (c *cli) usageError(cmd *command, fs *flag.FlagSet, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		c.printHelp(cmd, fs)
		return exitOK
	}
	fmt.Fprintf(c.stderr, "ratelord %s: %v\nusage: ratelord %s %s\nrun 'ratelord help %s' for details\n",
		cmd.name, err, cmd.name, cmd.args, cmd.name)
	return exitUsage
}

// printHelp prints a command's synopsis, details and flags on stdout.
func (c *cli) printHelp(cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(c.stdout, "usage: ratelord %s %s\n\n%s\n\nflags:\n", cmd.name, cmd.args, cmd.help)
	fs.SetOutput(c.stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// client returns an SDK client for the configured daemon. Its answers are
// kept in c.raw for --json.
func (c *cli) client() (*client.Client, error) {
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bad --url %q: want http://HOST:PORT", c.url)
	}
	cl := client.New(c.url)
	cl.Token = c.token
	cl.OnResponse = func(_, _ string, _ int, body []byte) {
		c.raw = append(c.raw[:0], body...)
	}
	return cl, nil
}

// printRaw prints the daemon's last answer on stdout when --json is set.
func (c *cli) printRaw() {
	if !c.json || len(c.raw) == 0 {
		return
	}
	c.stdout.Write(c.raw)
	if c.raw[len(c.raw)-1] != '\n' {
		io.WriteString(c.stdout, "\n")
	}
}

// parseUnits parses a non-negative whole number of units.
func parseUnits(what, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s %q: want a whole number of units, 0 or more", what, s)
	}
	return n, nil
}
