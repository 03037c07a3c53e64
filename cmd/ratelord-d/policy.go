package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/ratelord/ratelord/policy"
)

// defaultPolicyPath is used when no --config is given and the file exists.
const defaultPolicyPath = "./policy.yaml"

// loadPolicy loads the policy named by path, or ./policy.yaml when it exists,
// or the built-in example. note says which default was taken, if any.
func loadPolicy(path string) (p *policy.Policy, note string, err error) {
	if path != "" {
		p, err = policy.Load(path)
		return p, "", err
	}
	if _, err := os.Stat(defaultPolicyPath); err == nil {
		p, err = policy.Load(defaultPolicyPath)
		return p, "no --config given: using " + defaultPolicyPath, err
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("read %s: %w", defaultPolicyPath, err)
	}
	return policy.Example(), "no --config given and no " + defaultPolicyPath + ": serving the built-in example policy (see `ratelord status`); write a policy.yaml or pass --config", nil
}

// Reload loads the policy again from its source and, when it is valid,
// swaps it in. An invalid policy is refused and the old one keeps serving.
func (m *Main) Reload() (*policy.Policy, error) {
	p, _, err := loadPolicy(m.Config.ConfigPath)
	if err != nil {
		m.Governor.ReloadFailed(err.Error())
		m.Metrics.Reloaded(false)
		return nil, err
	}
	m.Governor.Reload(p)
	m.Metrics.Reloaded(true)
	m.startPollers(p)
	return p, nil
}

// reloadLogged reloads and logs the outcome (for SIGHUP).
func (m *Main) reloadLogged(why string) {
	p, err := m.Reload()
	if err != nil {
		m.Logger.Error("policy reload refused; the old policy keeps serving", "trigger", why, "err", strings.ReplaceAll(err.Error(), "\n", "; "))
		return
	}
	m.Logger.Info("policy reloaded", "trigger", why, "policy", p.Source, "pools", len(p.Pools))
}

// check validates the policy and the env vars it names (--check).
func check(cfg Config, getenv func(string) string, out io.Writer) int {
	p, _, err := loadPolicy(cfg.ConfigPath)
	var fs policy.Findings
	if errors.As(err, &fs) {
		for _, f := range fs {
			fmt.Fprintln(out, f.String())
		}
		return 1
	}
	if err != nil {
		fmt.Fprintln(out, err)
		return 1
	}
	if env := policy.CheckEnv(p, getenv); len(env) > 0 {
		for _, f := range env {
			fmt.Fprintln(out, f.String())
		}
		return 1
	}
	fmt.Fprintf(out, "%s: ok (%d pools, %d upstreams)\n", p.Source, len(p.Pools), len(p.Upstreams))
	return 0
}

// newLogger returns the daemon's logger: logfmt or JSON on w.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	lv, _ := parseLevel(level)
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: lowerLevel}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// lowerLevel writes levels in lower case: level=error.
func lowerLevel(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.LevelKey && len(groups) == 0 {
		return slog.String(slog.LevelKey, strings.ToLower(a.Value.String()))
	}
	return a
}

func parseLevel(s string) (slog.Level, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(s)); err != nil {
		return lv, errors.New("use debug, info, warn or error")
	}
	return lv, nil
}
