package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// Config holds the daemon's settings: flags, each with an env var (flag
// beats env beats default). Settings need a restart; only the policy reloads.
type Config struct {
	ConfigPath string        // --config, RATELORD_CONFIG_PATH; "" = ./policy.yaml if it exists, else built-in
	DBPath     string        // --db, RATELORD_DB_PATH
	Addr       string        // --addr, RATELORD_ADDR
	Sync       string        // --sync, RATELORD_SYNC: full | normal
	Retention  time.Duration // --retention, RATELORD_RETENTION
	RedisURL   string        // --redis-url, RATELORD_REDIS_URL
	AuthToken  string        // from --auth-token-file, or RATELORD_AUTH_TOKEN
	LogLevel   string        // --log-level, RATELORD_LOG_LEVEL
	LogFormat  string        // --log-format, RATELORD_LOG_FORMAT
	Check      bool          // --check
	Version    bool          // --version
}

// settings lists every flag with its env var and default.
var settings = []struct{ flag, env, def, usage string }{
	{"config", "RATELORD_CONFIG_PATH", "", "policy file (YAML or JSON); default ./policy.yaml if it exists, else the built-in example policy"},
	{"db", "RATELORD_DB_PATH", "./ratelord.db", "SQLite database file"},
	{"addr", "RATELORD_ADDR", "127.0.0.1:8090", "listen address HOST:PORT"},
	{"sync", "RATELORD_SYNC", "full", "full: a grant survives power loss; normal: survives a process crash"},
	{"retention", "RATELORD_RETENTION", "168h", "how long to keep the audit log (never less than the longest window)"},
	{"redis-url", "RATELORD_REDIS_URL", "", "keep quota state in Redis, shared by every replica"},
	{"auth-token-file", "", "", "file holding the API token (env RATELORD_AUTH_TOKEN holds the token itself)"},
	{"log-level", "RATELORD_LOG_LEVEL", "info", "debug | info | warn | error"},
	{"log-format", "RATELORD_LOG_FORMAT", "text", "text (logfmt) | json"},
}

// ParseFlags reads the settings from args and the environment.
func ParseFlags(args []string, getenv func(string) string, stderr io.Writer, readFile func(string) ([]byte, error)) (Config, error) {
	fs := flag.NewFlagSet("ratelord-d", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vals := make(map[string]*string, len(settings))
	for _, s := range settings {
		def := s.def
		if s.env != "" && getenv(s.env) != "" {
			def = getenv(s.env)
		}
		usage := s.usage
		if s.env != "" {
			usage += " (env " + s.env + ")"
		}
		vals[s.flag] = fs.String(s.flag, def, usage)
	}
	var c Config
	fs.BoolVar(&c.Check, "check", false, "validate the policy and the env vars it names, print the findings, exit 0 or 1")
	fs.BoolVar(&c.Version, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q: ratelord-d takes only flags (see --help)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	// origin names where a value came from, for error messages.
	origin := func(name string) string {
		for _, s := range settings {
			if s.flag == name && !set[name] && s.env != "" && getenv(s.env) != "" {
				return s.env
			}
		}
		return "--" + name
	}
	c.ConfigPath, c.DBPath, c.Addr = *vals["config"], *vals["db"], *vals["addr"]
	c.Sync, c.RedisURL = strings.ToLower(*vals["sync"]), *vals["redis-url"]
	c.LogLevel, c.LogFormat = strings.ToLower(*vals["log-level"]), strings.ToLower(*vals["log-format"])
	if c.Sync != "full" && c.Sync != "normal" {
		return c, fmt.Errorf("%s %q: use full or normal", origin("sync"), c.Sync)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("%s %q: use text or json", origin("log-format"), c.LogFormat)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return c, fmt.Errorf("%s %q: %w", origin("log-level"), c.LogLevel, err)
	}
	d, err := time.ParseDuration(*vals["retention"])
	if err != nil || d <= 0 {
		return c, fmt.Errorf("%s %q: use a positive Go duration such as 168h", origin("retention"), *vals["retention"])
	}
	c.Retention = d
	if c.DBPath == "" {
		return c, fmt.Errorf("%s is empty: give a database file path", origin("db"))
	}
	c.AuthToken = getenv("RATELORD_AUTH_TOKEN")
	if path := *vals["auth-token-file"]; path != "" {
		b, err := readFile(path)
		if err != nil {
			return c, fmt.Errorf("--auth-token-file: %w", err)
		}
		c.AuthToken = strings.TrimSpace(string(b))
		if c.AuthToken == "" {
			return c, fmt.Errorf("--auth-token-file %s is empty: put the token in it", path)
		}
	}
	return c, nil
}
