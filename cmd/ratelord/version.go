package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/ratelord/ratelord/client"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build info.
var version = ""

func versionCmd() *command {
	return &command{
		name:    "version",
		args:    "",
		summary: "print the version of ratelord and of the daemon",
		help: `Prints this program's version and, when ratelord-d answers at --url, the
daemon's version and uptime. An unreachable daemon is noted on stderr but is
not an error. With --json, prints {"version": ..., "daemon": <the daemon's
/healthz answer or null>}.`,
		run: runVersion,
	}
}

// cliVersion is this build's version.
func cliVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func runVersion(c *cli, cmd *command, args []string) int {
	fs := c.flagSet("ratelord version")
	pos, err := c.args(fs, args)
	if err == nil && len(pos) > 0 {
		err = fmt.Errorf("unexpected argument %q", pos[0])
	}
	if err != nil {
		return c.usageError(cmd, fs, err)
	}
	if !c.json {
		fmt.Fprintf(c.stdout, "ratelord %s\n", cliVersion())
	}
	var h *client.Health
	cl, err := c.client()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		h, err = cl.Health(ctx)
	}
	if c.json {
		out := struct {
			Version string          `json:"version"`
			Daemon  json.RawMessage `json:"daemon"`
		}{cliVersion(), json.RawMessage("null")}
		if err == nil && json.Valid(c.raw) {
			out.Daemon = c.raw
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintf(c.stdout, "%s\n", b)
	}
	if err != nil {
		why := err.Error()
		if s, ok := unreachable(err); ok {
			why = s
		}
		fmt.Fprintf(c.stderr, "ratelord-d: no answer at %s: %s\n", c.url, why)
		return exitOK
	}
	if !c.json {
		fmt.Fprintf(c.stdout, "ratelord-d %s at %s (up %s)\n", h.Version, c.url, fmtWindow(h.Uptime.Round(time.Second)))
	}
	return exitOK
}
