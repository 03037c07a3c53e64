package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/httpapi"
	"github.com/ratelord/ratelord/metrics"
	"github.com/ratelord/ratelord/proxy"
	"github.com/ratelord/ratelord/sqlite"
	"github.com/ratelord/ratelord/web"
)

// Periods of the daemon's housekeeping, and the bound on a graceful stop.
const (
	maintainEvery  = time.Second
	snapshotEvery  = 30 * time.Second
	snapshotEvents = 100_000 // or after this many events, to bound a restart's replay
	pruneEvery     = 10 * time.Minute
	shutdownGrace  = 30 * time.Second
)

// Main is one running daemon: its store, governor and HTTP server. Tests
// start it in-process on 127.0.0.1:0 with a temporary database.
type Main struct {
	Config Config
	Getenv func(string) string // default os.Getenv
	Stderr io.Writer           // where logs go; default os.Stderr

	Logger   *slog.Logger
	Store    *sqlite.DB
	Governor *governor.Governor
	Server   *httpapi.Server
	Metrics  *metrics.Metrics // on a registry of this daemon's own

	http      *http.Server
	ln        net.Listener
	retention time.Duration
	failed    chan error
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	pollers   pollers
}

// Run opens the store, restores the state, and starts serving. It does not block.
func (m *Main) Run(ctx context.Context) error {
	if m.Getenv == nil {
		m.Getenv = os.Getenv
	}
	if m.Stderr == nil {
		m.Stderr = os.Stderr
	}
	m.Logger = newLogger(m.Stderr, m.Config.LogLevel, m.Config.LogFormat)
	m.failed = make(chan error, 1)
	m.stop = make(chan struct{})
	if m.Config.RedisURL != "" {
		return errors.New("--redis-url: distributed mode is not available in this version; remove it to keep state in SQLite")
	}
	pol, note, err := loadPolicy(m.Config.ConfigPath)
	if err != nil {
		return err
	}
	m.Logger.Info("ratelord-d starting", "version", version, "addr", m.Config.Addr, "db", m.Config.DBPath, "policy", pol.Source, "pools", len(pol.Pools))
	if note != "" {
		m.Logger.Info(note)
	}
	m.retention = m.Config.Retention
	if lw := pol.LongestWindow(); m.retention < lw {
		m.Logger.Warn("retention is shorter than the longest window; using the window", "retention", m.Config.Retention, "window", lw)
		m.retention = lw
	}
	// The metrics feed on the store and the governor, whose hooks must be
	// set before they open; the governor is only read at scrape time.
	reg := prometheus.NewRegistry()
	gov := &governor.Governor{Policy: pol, Logger: m.Logger}
	m.Metrics = metrics.New(reg, gov, version)
	gov.Hooks = m.Metrics.Hooks()
	m.Store = &sqlite.DB{Path: m.Config.DBPath, Sync: m.Config.Sync, Logger: m.Logger, OnCommit: m.Metrics.ObserveCommit}
	if err := m.Store.Open(); err != nil {
		m.Store = nil
		return err
	}
	gov.Store = m.Store
	m.Governor = gov
	began := time.Now()
	if err := m.Governor.Open(ctx); err != nil {
		return err
	}
	m.Logger.Info("state restored", "seq", m.Governor.Seq(), "open_leases", m.Governor.OpenLeases(), "took", time.Since(began).Round(time.Millisecond))
	m.Server = &httpapi.Server{Governor: m.Governor, Store: m.Store, Logger: m.Logger, Version: version, Reload: m.Reload, AuthToken: m.Config.AuthToken}
	m.Server.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(m.Logger.Handler(), slog.LevelError)})
	m.Server.Proxy = &proxy.Proxy{Governor: m.Governor, Getenv: m.Getenv, Logger: m.Logger}
	m.Server.Dashboard = web.Handler()
	m.ln, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another ratelord-d running? pass --addr)", m.Config.Addr, err)
	}
	if m.Config.AuthToken == "" && !loopback(m.ln.Addr()) {
		m.Logger.Warn("no auth token is set and the API listens beyond loopback: anyone who reaches it can spend quota; set RATELORD_AUTH_TOKEN or --auth-token-file", "addr", m.ln.Addr().String())
	}
	m.http = &http.Server{Handler: m.Server.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		if err := m.http.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.failed <- err
		}
	}()
	go m.housekeeping()
	m.startPollers(pol)
	m.Logger.Info("serving", "addr", m.ln.Addr().String())
	return nil
}

// Addr returns the address the daemon listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Failed reports a server that stopped on its own.
func (m *Main) Failed() <-chan error { return m.failed }

// Close stops gracefully: /readyz turns 503, new work is refused, in-flight
// requests finish (within shutdownGrace), state is snapshotted and the WAL
// checkpointed.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if m.Server != nil {
		// Keep listening while requests are in flight, so that /readyz can
		// tell load balancers to go elsewhere while new acquires are refused.
		m.Server.SetShuttingDown()
		tick := time.NewTicker(10 * time.Millisecond)
		for m.Server.InFlight() > 0 && ctx.Err() == nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		tick.Stop()
	}
	if m.http != nil {
		if err := m.http.Shutdown(ctx); err != nil {
			m.Logger.Warn("in-flight requests did not finish in time; closing them", "grace", shutdownGrace)
			m.http.Close()
		}
	}
	m.pollers.stop()
	if m.stop != nil {
		close(m.stop)
	}
	m.wg.Wait()
	if m.Governor != nil {
		m.Governor.Close()
		if _, err := m.Governor.Snapshot(); err != nil {
			errs = append(errs, err)
		}
	}
	if m.Store != nil {
		if err := m.Store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// housekeeping expires leases, drops idle identities, snapshots the state and
// prunes the audit log until the daemon stops.
func (m *Main) housekeeping() {
	defer m.wg.Done()
	maintain := time.NewTicker(maintainEvery)
	snap := time.NewTicker(snapshotEvery)
	prune := time.NewTicker(pruneEvery)
	defer maintain.Stop()
	defer snap.Stop()
	defer prune.Stop()
	lastSnap := m.Governor.Seq()
	m.pruneLog()
	for {
		select {
		case <-m.stop:
			return
		case now := <-maintain.C:
			m.Governor.Maintain(now)
			if m.Governor.Seq()-lastSnap >= snapshotEvents {
				lastSnap = m.snapshot(lastSnap)
			}
		case <-snap.C:
			lastSnap = m.snapshot(lastSnap)
		case <-prune.C:
			m.pruneLog()
		}
	}
}

// snapshot snapshots the state when events arrived since the last one, and
// returns the seq the newest snapshot covers.
func (m *Main) snapshot(last int64) int64 {
	if m.Governor.Seq() == last {
		return last
	}
	seq, err := m.Governor.Snapshot()
	if err != nil {
		m.Logger.Error("snapshot", "err", err)
		return last
	}
	return seq
}

func (m *Main) pruneLog() {
	n, err := m.Store.Prune(context.Background(), time.Now().Add(-m.retention))
	if err != nil {
		m.Logger.Error("prune audit log", "err", err)
	} else if n > 0 {
		m.Logger.Info("pruned audit log", "deleted", n, "retention", m.retention)
	}
}

// loopback reports whether addr is a loopback address.
func loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
