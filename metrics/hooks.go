package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ratelord/ratelord/governor"
)

// Hooks returns the governor hooks that feed the metrics. Set them on
// Governor.Hooks before Open.
func (m *Metrics) Hooks() governor.Hooks {
	return governor.Hooks{Decided: m.onDecided, Acquired: m.onAcquired, Observed: m.onObserved}
}

// decisionKey names one series of ratelord_decisions_total.
type decisionKey struct {
	pool    string
	granted bool
	reason  governor.Reason
}

// responseKey names one series of ratelord_upstream_responses_total.
type responseKey struct {
	pool, source string
	status       int
}

// onDecided counts a decision for one pool. It is called under the
// governor's lock: after the first call for a series it is a map lookup
// and an atomic add, with no allocation.
func (m *Metrics) onDecided(pool string, granted bool, reason governor.Reason) {
	k := decisionKey{pool: pool, granted: granted, reason: reason}
	m.mu.Lock()
	c := m.decided[k]
	if c == nil {
		result := resultDenied
		if granted {
			result = resultGranted
		}
		c = m.decisions.WithLabelValues(pool, result, string(reason))
		m.decided[k] = c
	}
	m.mu.Unlock()
	c.Inc()
}

// onAcquired records an acquire's latency and, when it waited, its wait.
func (m *Metrics) onAcquired(latency, waited time.Duration) {
	m.acquire.Observe(latency.Seconds())
	if waited > 0 {
		m.wait.Observe(waited.Seconds())
	}
}

// onObserved counts an upstream answer (status 0 is an observation that
// came with no answer, such as a client's report of remaining quota) and a
// refusal that holds the pool. It is called under the governor's lock.
func (m *Metrics) onObserved(pool, source string, status int, limited bool) {
	var answered, held prometheus.Counter
	m.mu.Lock()
	if status != 0 {
		if status < 100 || status > 599 {
			status = -1 // one key, and one series, for every odd status
		}
		k := responseKey{pool: pool, source: source, status: status}
		if answered = m.answered[k]; answered == nil {
			answered = m.responses.WithLabelValues(pool, source, statusCode(status))
			m.answered[k] = answered
		}
	}
	if limited {
		if held = m.held[pool]; held == nil {
			held = m.holds.WithLabelValues(pool)
			m.held[pool] = held
		}
	}
	m.mu.Unlock()
	if answered != nil {
		answered.Inc()
	}
	if held != nil {
		held.Inc()
	}
}

// statusCode is the code label of an HTTP status. A client reports the
// status in POST /v1/observe, so anything outside 100-599 is "other": a
// caller cannot make series without bound.
func statusCode(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}
