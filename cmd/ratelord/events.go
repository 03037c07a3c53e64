package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

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

--follow prints new events as they come until interrupted. It polls the
daemon once a second (not server-sent events yet) and starts at the end of
the log unless --after is given (--after 0: from the beginning). With
--json it prints each event as one JSON line.`,
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

// writeRawEvents prints each event of a raw page as one compact JSON line.
func writeRawEvents(w io.Writer, raw []byte) error {
	var page struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return fmt.Errorf("decode events: %w", err)
	}
	var b bytes.Buffer
	for _, e := range page.Events {
		b.Reset()
		if err := json.Compact(&b, e); err != nil {
			return fmt.Errorf("decode events: %w", err)
		}
		b.WriteByte('\n')
		w.Write(b.Bytes())
	}
	return nil
}

// maxPage is the largest page the daemon serves; skipping to the end of
// the log reads pages this big.
const maxPage = 10000

// followEvents prints new events until SIGINT or SIGTERM, polling every
// c.pollEvery. Unless fromAfter, it first skips to the end of the log, as
// tail -f does. An interrupt is a normal end (exit 0).
func (c *cli) followEvents(cl *client.Client, q client.EventQuery, fromAfter bool) int {
	ctx, stop := c.interruptible(context.Background())
	defer stop()
	if !fromAfter {
		skip := q
		skip.Limit = maxPage
		for {
			page, err := c.eventsPage(ctx, cl, skip)
			if ctx.Err() != nil {
				return exitOK
			}
			if err != nil {
				return c.fail(err)
			}
			skip.After = page.Next
			if len(page.Events) < maxPage {
				break
			}
		}
		q.After = skip.After
	}
	for {
		page, err := c.eventsPage(ctx, cl, q)
		if ctx.Err() != nil {
			return exitOK
		}
		if err != nil {
			return c.fail(err)
		}
		if c.json {
			if err := writeRawEvents(c.stdout, c.raw); err != nil {
				return c.fail(err)
			}
		} else {
			for _, e := range page.Events {
				writeEvent(c.stdout, e)
			}
		}
		q.After = page.Next
		if len(page.Events) >= pageSize(q) {
			continue // more are waiting: no pause
		}
		t := time.NewTimer(c.pollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return exitOK
		case <-t.C:
		}
	}
}

// eventsPage reads one page, bounded by requestTimeout.
func (c *cli) eventsPage(ctx context.Context, cl *client.Client, q client.EventQuery) (*client.EventPage, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	return cl.Events(ctx, q)
}
