// Command ratelord-d is the ratelord daemon: it owns every shared quota of
// its policy and answers acquires over HTTP.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := ParseFlags(args, getenv, stderr, os.ReadFile)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "ratelord-d:", err)
		return 2
	}
	if cfg.Version {
		fmt.Fprintln(stdout, "ratelord-d", version)
		return 0
	}
	if cfg.Check {
		return check(cfg, getenv, stdout)
	}
	m := &Main{Config: cfg, Getenv: getenv, Stderr: stderr}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := m.Run(context.Background()); err != nil {
		if m.Logger != nil {
			m.Logger.Error("cannot start", "err", err)
		} else {
			fmt.Fprintln(stderr, "ratelord-d:", err)
		}
		m.Close()
		return 1
	}
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				m.reloadLogged("SIGHUP")
				continue
			}
			m.Logger.Info("shutting down", "signal", sig.String())
			if err := m.Close(); err != nil {
				m.Logger.Error("shutdown", "err", err)
				return 1
			}
			m.Logger.Info("stopped")
			return 0
		case err := <-m.Failed():
			m.Logger.Error("server failed", "err", err)
			m.Close()
			return 1
		}
	}
}
