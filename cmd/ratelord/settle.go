package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

func settleCmd() *command {
	return &command{
		name:    "settle",
		args:    "LEASE COST | LEASE POOL=UNITS...",
		summary: "set a lease's actual cost and close it",
		help: `Sets the actual cost of an open lease and closes it: a cost below the one
acquired refunds the difference (0 refunds all of it), a higher one charges
the extra. For a lease on several pools, give POOL=UNITS for each:

    ratelord settle "$lease" openai-requests=1 openai-tokens=812

A lease that is already closed or expired is an error (unknown_lease).`,
		run: runSettle,
	}
}

func runSettle(c *cli, cmd *command, args []string) int {
	fs := c.flagSet("ratelord settle")
	pos, err := c.args(fs, args)
	if err == nil && len(pos) < 2 {
		err = errors.New("want a LEASE and its COST")
	}
	var cost int64
	var pools map[string]int64
	if err == nil {
		cost, pools, err = parseCosts(pos[1:])
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
	lease := pos[0]
	if pools != nil {
		err = cl.SettlePools(ctx, lease, pools)
	} else {
		err = cl.Settle(ctx, lease, cost)
	}
	c.printRaw()
	if err != nil {
		return c.fail(err)
	}
	if !c.json {
		fmt.Fprintf(c.stdout, "settled %s\n", lease)
	}
	return exitOK
}

// parseCosts reads either one COST or one or more POOL=UNITS.
func parseCosts(args []string) (int64, map[string]int64, error) {
	if len(args) == 1 && !strings.Contains(args[0], "=") {
		n, err := parseUnits("COST", args[0])
		return n, nil, err
	}
	pools := make(map[string]int64, len(args))
	for _, a := range args {
		name, units, ok := strings.Cut(a, "=")
		if !ok || name == "" {
			return 0, nil, fmt.Errorf("%q: want POOL=UNITS (or a single COST)", a)
		}
		n, err := parseUnits(name, units)
		if err != nil {
			return 0, nil, err
		}
		pools[name] = n
	}
	return 0, pools, nil
}
