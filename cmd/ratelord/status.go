package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ratelord/ratelord/client"
)

func statusCmd() *command {
	return &command{
		name:    "status",
		args:    "[POOL] [--identity X]",
		summary: "show pools: used, remaining, reset time, open leases",
		help: `Without POOL, lists every pool; --identity then keeps only that identity's rows.
With POOL, shows that pool (for a pool partitioned per identity, the share of
--identity) and, when it has several limits, each of them.
With --json, prints the daemon's answer as it is.`,
		run: runStatus,
	}
}

func runStatus(c *cli, cmd *command, args []string) int {
	fs := c.flagSet("ratelord status")
	identity := fs.String("identity", "", "show the share of `IDENTITY`")
	pos, err := c.args(fs, args)
	if err == nil && len(pos) > 1 {
		err = fmt.Errorf("want at most one POOL, got %q", pos)
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
	var pools []client.PoolState
	if len(pos) == 1 {
		p, err := cl.Pool(ctx, pos[0], *identity)
		c.printRaw()
		if err != nil {
			return c.fail(err)
		}
		pools = []client.PoolState{*p}
	} else {
		all, err := cl.Pools(ctx)
		c.printRaw()
		if err != nil {
			return c.fail(err)
		}
		for _, p := range all {
			if *identity == "" || p.Identity == *identity {
				pools = append(pools, p)
			}
		}
	}
	if c.json {
		return exitOK
	}
	if len(pools) == 0 {
		fmt.Fprintln(c.stdout, "no pools")
		return exitOK
	}
	now := c.now()
	writePools(c.stdout, now, pools)
	if len(pos) == 1 && len(pools[0].Limits) > 1 {
		fmt.Fprintf(c.stdout, "\nlimits of %s:\n", pools[0].Pool)
		writeLimits(c.stdout, now, pools[0].Limits)
	}
	return exitOK
}

// writePools prints pools as a table.
func writePools(w io.Writer, now time.Time, pools []client.PoolState) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POOL\tIDENTITY\tUSED/LIMIT\tREMAINING\tUNIT\tWINDOW\tRESET IN\tLEASES")
	for _, p := range pools {
		leases := fmt.Sprint(p.LeasesOpen)
		if p.Concurrency > 0 {
			leases = fmt.Sprintf("%d/%d", p.LeasesOpen, p.Concurrency)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d\t%s\t%s\t%s\t%s\n", p.Pool, orDash(p.Identity),
			p.Used, p.Limit, p.Remaining, orDash(p.Unit), fmtWindow(p.Window), resetIn(now, p.ResetAt), leases)
	}
	tw.Flush()
}

// writeLimits prints each limit of a pool as an indented table.
func writeLimits(w io.Writer, now time.Time, limits []client.LimitState) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  LIMIT\tWINDOW\tALGORITHM\tUSED\tREMAINING\tRESET IN")
	for _, l := range limits {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%d\t%s\n", l.Limit, fmtWindow(l.Window), orDash(l.Algorithm),
			l.Used, l.Remaining, resetIn(now, l.ResetAt))
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fmtWindow formats a duration without zero trailing units: 1h, 1m, 1h30m.
func fmtWindow(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s") // 1m0s -> 1m, 1h0m0s -> 1h0m
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m") // 1h0m -> 1h
	}
	return s
}

// resetIn is how long until t, or "-" when t is unknown.
func resetIn(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return approx(t.Sub(now))
}

// approx formats d to a precision that suits its size: 42ms, 1.5s, 42m10s.
func approx(d time.Duration) string {
	switch {
	case d <= 0:
		return "now"
	case d < 100*time.Millisecond:
		d = d.Round(time.Millisecond)
	case d < 10*time.Second:
		d = d.Round(100 * time.Millisecond)
	default:
		d = d.Round(time.Second)
	}
	return fmtWindow(d)
}
