package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ratelord/ratelord/client"
)

func eventsCmd() *command {
	return &command{
		name:    "events",
		args:    "[--pool P] [--identity X] [--type T] [--after SEQ] [--limit N] [--follow]",
		summary: "print the audit log, or follow it",
		help: `Prints the audit log (grant, deny, settle, release, expire, observe, reload,
hold), oldest first, one event a line. Without --follow it prints one page
of up to --limit events after --after, and says how to get the next page.

--follow prints new events as the daemon commits them, until interrupted
(exit 0). It holds one server-sent event stream open, reconnects by itself
when the connection drops (no event is lost or repeated), and starts at
the end of the log unless --after is given (--after 0: from the
beginning); --limit does not apply. With --json it prints each event as
one JSON line.`,
		run: runEvents,
	}
}

func runEvents(c *cli, cmd *command, args []string) int {
	fs := c.flagSet("ratelord events")
	var q client.EventQuery
	fs.StringVar(&q.Pool, "pool", "", "only events of `POOL`")
	fs.StringVar(&q.Identity, "identity", "", "only events of `IDENTITY`")
	fs.StringVar(&q.Type, "type", "", "only events of `TYPE` (grant, deny, settle, ...)")
	fs.Int64Var(&q.After, "after", 0, "only events after sequence number `SEQ`")
	fs.IntVar(&q.Limit, "limit", 0, "at most `N` events a page (default 100)")
	follow := fs.Bool("follow", false, "keep printing new events until interrupted")
	pos, err := c.args(fs, args)
	switch {
	case err != nil:
	case len(pos) > 0:
		err = fmt.Errorf("unexpected argument %q", pos[0])
	case q.After < 0 || q.Limit < 0:
		err = errors.New("--after and --limit must not be negative")
	}
	if err != nil {
		return c.usageError(cmd, fs, err)
	}
	cl, err := c.client()
	if err != nil {
		return c.usageError(cmd, fs, err)
	}
	if *follow {
		return c.followEvents(cl, q, isSet(fs, "after"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	page, err := cl.Events(ctx, q)
	c.printRaw()
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return exitOK
	}
	for _, e := range page.Events {
		writeEvent(c.stdout, e)
	}
	if len(page.Events) > 0 && len(page.Events) >= pageSize(q) {
		fmt.Fprintf(c.stderr, "more: ratelord events --after %d\n", page.Next)
	}
	return exitOK
}

// pageSize is the number of events a full page holds.
func pageSize(q client.EventQuery) int {
	if q.Limit > 0 {
		return q.Limit
	}
	return 100
}

// isSet reports whether the flag called name was given.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// writeEvent prints e as one line: seq, time, type, pools, then the fields
// that are set as key=value.
func writeEvent(w io.Writer, e client.Event) {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s %s", e.Seq, e.Time.UTC().Format("2006-01-02T15:04:05.000Z"), e.Type)
	names := make([]string, 0, len(e.Pools))
	for name := range e.Pools {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&b, " %s=%d", name, e.Pools[name])
	}
	for _, kv := range [][2]string{{"lease", e.LeaseID}, {"identity", e.Identity},
		{"priority", e.Priority}, {"reason", e.Reason}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, " %s=%s", kv[0], kv[1])
		}
	}
	if e.Message != "" {
		fmt.Fprintf(&b, " message=%q", e.Message)
	}
	fmt.Fprintln(w, b.String())
}
