package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// MustMain starts a daemon in-process on a free port with a temporary
// database and the given policy.
func MustMain(tb testing.TB, policyYAML string) *Main {
	tb.Helper()
	dir := tb.TempDir()
	cfg := filepath.Join(dir, "policy.yaml")
	writeFile(tb, cfg, policyYAML)
	m := &Main{
		Config: Config{ConfigPath: cfg, DBPath: filepath.Join(dir, "r.db"), Addr: "127.0.0.1:0", Sync: "normal", Retention: time.Hour, LogLevel: "warn", LogFormat: "text"},
		Stderr: io.Discard,
	}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

func TestFlagBeatsEnvBeatsDefault(t *testing.T) {
	t.Parallel()
	env := map[string]string{"RATELORD_ADDR": "127.0.0.1:9999", "RATELORD_SYNC": "normal", "RATELORD_DB_PATH": "/tmp/env.db", "RATELORD_AUTH_TOKEN": "tok"}
	getenv := func(k string) string { return env[k] }
	c, err := ParseFlags([]string{"--addr", "127.0.0.1:7777"}, getenv, io.Discard, os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7777" || c.Sync != "normal" || c.DBPath != "/tmp/env.db" || c.Retention != 168*time.Hour || c.LogFormat != "text" || c.AuthToken != "tok" {
		t.Fatalf("config = %+v", c)
	}
	c, _ = ParseFlags(nil, func(string) string { return "" }, io.Discard, os.ReadFile)
	if c.Addr != "127.0.0.1:8090" || c.DBPath != "./ratelord.db" || c.Sync != "full" || c.LogLevel != "info" {
		t.Fatalf("defaults = %+v", c)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, "from-file\n")
	c, _ = ParseFlags([]string{"--auth-token-file", tokenFile}, getenv, io.Discard, os.ReadFile)
	if c.AuthToken != "from-file" {
		t.Fatalf("token file: %q", c.AuthToken)
	}
}

func TestBadSettingsNameTheirSource(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--sync", "always"}, nil, `--sync "always": use full or normal`},
		{nil, map[string]string{"RATELORD_SYNC": "always"}, `RATELORD_SYNC "always"`},
		{[]string{"--retention", "7d"}, nil, `--retention "7d"`},
		{[]string{"--log-format", "xml"}, nil, "use text or json"},
		{[]string{"--log-level", "loud"}, nil, "use debug, info, warn or error"},
		{[]string{"extra"}, nil, `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		_, err := ParseFlags(tc.args, func(k string) string { return tc.env[k] }, io.Discard, os.ReadFile)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: err %v, want %q", tc.args, tc.env, err, tc.want)
		}
	}
}

func TestRetentionNeverShorterThanTheLongestWindow(t *testing.T) {
	t.Parallel()
	m := MustMain(t, "pools:\n  day: {limit: 5, window: 24h}\n  min: {limit: 5, window: 1m}\n")
	if m.retention != 24*time.Hour {
		t.Fatalf("retention %v with --retention 1h and a 24h window, want 24h", m.retention)
	}
}

func TestWarnsLoudlyWithoutTokenBeyondLoopback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr, token string
		warn        bool
	}{{"0.0.0.0:0", "", true}, {"127.0.0.1:0", "", false}, {"0.0.0.0:0", "s3cret", false}} {
		dir := t.TempDir()
		var logs strings.Builder
		m := &Main{
			Config: Config{DBPath: filepath.Join(dir, "r.db"), Addr: tc.addr, Sync: "normal", Retention: time.Hour, LogLevel: "info", LogFormat: "text", AuthToken: tc.token, ConfigPath: filepath.Join(dir, "p.yaml")},
			Stderr: &logs,
		}
		writeFile(t, m.Config.ConfigPath, "pools:\n  p: {limit: 1, window: 1s}\n")
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		m.Close()
		got := strings.Contains(logs.String(), `level=warn msg="no auth token is set and the API listens beyond loopback`)
		if got != tc.warn {
			t.Errorf("addr %s token %q: warned %v, want %v\n%s", tc.addr, tc.token, got, tc.warn, logs.String())
		}
	}
}
