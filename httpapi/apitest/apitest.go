// Package apitest starts ratelord's real stack in-process for tests: a
// policy file, a SQLite store in a temporary directory, a governor and the
// HTTP API.
package apitest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/httpapi"
	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/sqlite"
)

// Stack is a running governor with its store and API. Everything is closed
// when the test ends.
type Stack struct {
	Governor   *governor.Governor
	Store      *sqlite.DB
	API        *httpapi.Server
	PolicyPath string // the policy file; POST /v1/reload reads it again
}

// Start writes policyYAML to a file, opens the store and the governor over
// it, and builds the API with a quiet logger and Reload wired. Set more API
// fields (AuthToken, Dashboard, StreamPoll, ...) before calling its Handler.
func Start(tb testing.TB, policyYAML string) *Stack {
	tb.Helper()
	dir := tb.TempDir()
	s := &Stack{PolicyPath: filepath.Join(dir, "policy.yaml")}
	if err := os.WriteFile(s.PolicyPath, []byte(policyYAML), 0o644); err != nil {
		tb.Fatal(err)
	}
	pol, err := policy.Load(s.PolicyPath)
	if err != nil {
		tb.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	s.Store = &sqlite.DB{Path: filepath.Join(dir, "r.db"), Sync: sqlite.SyncNormal, Logger: quiet}
	if err := s.Store.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Store.Close() })
	s.Governor = &governor.Governor{Store: s.Store, Policy: pol, Logger: quiet}
	if err := s.Governor.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Governor.Close)
	s.API = &httpapi.Server{Governor: s.Governor, Store: s.Store, Logger: quiet, Version: "test", Reload: s.reload}
	return s
}

func (s *Stack) reload() (*policy.Policy, error) {
	p, err := policy.Load(s.PolicyPath)
	if err == nil {
		s.Governor.Reload(p)
	}
	return p, err
}
