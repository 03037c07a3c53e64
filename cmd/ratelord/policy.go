package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ratelord/ratelord/policy"
)

func policyCmd() *command {
	return &command{
		name:    "policy",
		args:    "check FILE [--no-env]",
		summary: "check a policy file (locally, no daemon needed)",
		help: `Parses and validates FILE as ratelord-d would load it, and checks that the
environment variables its upstreams name in token_env are set here (skip
that with --no-env when checking a file away from the daemon's machine).
Prints each problem as "file:line: key: message" on stdout, or
"FILE: ok (N pools, M upstreams)". Exits 0 when valid, 1 when not.
With --json, prints {"file", "valid", "pools", "upstreams", "findings"}.`,
		run: runPolicy,
	}
}

// policyReport is the --json form of a check.
type policyReport struct {
	File      string   `json:"file"`
	Valid     bool     `json:"valid"`
	Pools     int      `json:"pools"`
	Upstreams int      `json:"upstreams"`
	Findings  []string `json:"findings"`
}

func runPolicy(c *cli, cmd *command, args []string) int {
	fs := c.flagSet("ratelord policy")
	noEnv := fs.Bool("no-env", false, "do not check the environment variables named by token_env")
	pos, err := c.args(fs, args)
	switch {
	case err != nil:
	case len(pos) == 0 || pos[0] != "check":
		err = errors.New(`want "check FILE"`)
	case len(pos) != 2:
		err = errors.New("want exactly one FILE after check")
	}
	if err != nil {
		return c.usageError(cmd, fs, err)
	}
	file := pos[1]
	p, err := policy.Load(file)
	var findings policy.Findings
	if err != nil && !errors.As(err, &findings) {
		fmt.Fprintf(c.stderr, "ratelord: %v\n", err)
		return exitError
	}
	if p != nil && !*noEnv {
		findings = policy.CheckEnv(p, c.getenv)
	}
	rep := policyReport{File: file, Valid: len(findings) == 0, Findings: []string{}}
	if p != nil {
		rep.Pools, rep.Upstreams = len(p.Pools), len(p.Upstreams)
	}
	for _, f := range findings {
		rep.Findings = append(rep.Findings, f.String())
	}
	if c.json {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintf(c.stdout, "%s\n", b)
	} else {
		for _, f := range rep.Findings {
			fmt.Fprintln(c.stdout, f)
		}
		if rep.Valid {
			fmt.Fprintf(c.stdout, "%s: ok (%d pools, %d upstreams)\n", file, rep.Pools, rep.Upstreams)
		}
	}
	if !rep.Valid {
		return exitError
	}
	return exitOK
}
