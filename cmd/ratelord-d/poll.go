package main

import (
	"context"
	"sync"

	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/upstream"
)

// pollers runs one GitHub /rate_limit poller per upstream with `poll` set.
// A reload replaces them all.
type pollers struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// start stops the running pollers and starts those p asks for.
func (m *Main) startPollers(p *policy.Policy) {
	m.pollers.stop()
	m.pollers.mu.Lock()
	defer m.pollers.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	m.pollers.cancel = cancel
	for _, u := range p.Upstreams {
		if u.Dialect != policy.DialectGitHub || u.Poll <= 0 {
			continue
		}
		name := u.Name
		pl := &upstream.Poller{
			URL:    u.URL,
			Token:  m.Getenv(u.TokenEnv),
			Every:  u.Poll,
			Logger: m.Logger.With("upstream", name),
			Report: func(o upstream.Observation) {
				if _, err := m.Governor.ObserveUpstream(name, "", "poll", o); err != nil {
					m.Logger.Warn("apply polled rate limits", "upstream", name, "err", err)
				}
			},
		}
		m.pollers.wg.Add(1)
		go func() {
			defer m.pollers.wg.Done()
			pl.Run(ctx) //nolint:errcheck // it returns ctx's error when stopped
		}()
		m.Logger.Info("polling upstream rate limits", "upstream", name, "every", u.Poll)
	}
}

// stop ends every poller and waits for them.
func (ps *pollers) stop() {
	ps.mu.Lock()
	if ps.cancel != nil {
		ps.cancel()
		ps.cancel = nil
	}
	ps.mu.Unlock()
	ps.wg.Wait()
}
