package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/ratelord/ratelord/client"
)

func acquireCmd() *command {
	return &command{
		name:    "acquire",
		args:    "POOL [--cost N] [--identity X] [--priority P] [--wait D] [--ttl D]",
		summary: "take quota from a pool and print the lease id",
		help: `Asks ratelord-d for COST units of POOL. On a grant, prints the lease id alone
on stdout, so that scripts can capture it:

    lease=$(ratelord acquire github-core --wait 30s) || exit
    ... call the API ...
    ratelord settle "$lease" 1

and the time waited on stderr. With --wait, the daemon may hold the request
until the units fit. A denial exits 3 and prints the reason and retry time
on stderr. --cost 0 opens a lease that charges nothing (a concurrency slot).`,
		run: runAcquire,
	}
}

// acquireFlags are the request flags shared by acquire and exec.
type acquireFlags struct {
	cost     *int64
	identity *string
	priority *string
	wait     *time.Duration
	ttl      *time.Duration
}

// addAcquireFlags registers the request flags on fs.
func addAcquireFlags(fs *flag.FlagSet, defaultWait time.Duration) acquireFlags {
	return acquireFlags{
		cost:     fs.Int64("cost", 1, "units to take"),
		identity: fs.String("identity", "", "who spends: an agent, a credential, a tenant"),
		priority: fs.String("priority", "", "critical, high, normal (the default) or low"),
		wait:     fs.Duration("wait", defaultWait, "how long to wait for the units to fit, e.g. 30s"),
		ttl:      fs.Duration("ttl", 0, "lease lifetime unless settled or released (default: the daemon's)"),
	}
}

// request builds the acquire request for pool; an error is a usage error.
func (f acquireFlags) request(pool string) (client.AcquireRequest, error) {
	req := client.AcquireRequest{
		Pool: pool, Cost: *f.cost, Identity: *f.identity, Priority: *f.priority,
		MaxWait: *f.wait, LeaseTTL: *f.ttl,
	}
	switch {
	case *f.wait < 0 || *f.ttl < 0:
		return req, errors.New("--wait and --ttl must not be negative")
	case *f.cost < 0:
		return req, fmt.Errorf("--cost %d: want 0 or more units", *f.cost)
	case *f.cost == 0:
		// The SDK reads Cost 0 as 1; a lease that charges nothing goes by Pools.
		req.Pool, req.Pools = "", map[string]int64{pool: 0}
	}
	return req, nil
}

func runAcquire(c *cli, cmd *command, args []string) int {
	fs := c.flagSet("ratelord acquire")
	f := addAcquireFlags(fs, 0)
	pos, err := c.args(fs, args)
	if err == nil && len(pos) != 1 {
		err = errors.New("want exactly one POOL")
	}
	var req client.AcquireRequest
	if err == nil {
		req, err = f.request(pos[0])
	}
	if err != nil {
		return c.usageError(cmd, fs, err)
	}
	cl, err := c.client()
	if err != nil {
		return c.usageError(cmd, fs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), req.MaxWait+requestTimeout)
	defer cancel()
	g, err := cl.Acquire(ctx, req)
	c.printRaw()
	if err != nil {
		return c.fail(err)
	}
	if !c.json {
		fmt.Fprintln(c.stdout, g.LeaseID)
	}
	fmt.Fprintf(c.stderr, "waited %s\n", g.Waited)
	return exitOK
}
