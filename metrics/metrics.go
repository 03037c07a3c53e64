// Package metrics exports ratelord's Prometheus metrics: the governor's
// decisions, acquire and wait latencies, every pool's live state, upstream
// answers and holds, policy reloads and the store's group commits.
//
// Everything is registered on a registry the caller injects, never on the
// global default, so several daemons can run in one process (tests do).
// Labels are pool, result, reason, source and code only: never an identity,
// a lease id or a raw path, so the number of series stays bounded by the
// policy.
package metrics

import (
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ratelord/ratelord/governor"
)

// Label names.
const (
	labelPool   = "pool"
	labelResult = "result"
	labelReason = "reason"
	labelSource = "source"
	labelCode   = "code"
)

// Values of the result label.
const (
	resultGranted = "granted"
	resultDenied  = "denied"
	resultSuccess = "success"
	resultFailure = "failure"
)

// Buckets of the histograms, in seconds.
var (
	// acquireBuckets spans an immediate grant (one group commit, well under
	// a millisecond with --sync normal) to a waiter held for ten minutes.
	acquireBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 10, 30, 60, 300, 600}
	// waitBuckets spans a slot a millisecond away to ten minutes.
	waitBuckets = []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 600}
	// commitBuckets spans one fsync to a commit retried with backoff.
	commitBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
)

// Metrics holds the daemon's metrics. Build it with New; its methods are
// safe for concurrent use.
type Metrics struct {
	decisions    *prometheus.CounterVec
	acquire      prometheus.Histogram
	wait         prometheus.Histogram
	responses    *prometheus.CounterVec
	holds        *prometheus.CounterVec
	reloads      *prometheus.CounterVec
	reloadOK     prometheus.Gauge
	reloadAt     prometheus.Gauge
	commitTime   prometheus.Histogram
	commitEvents prometheus.Counter
	commitErrors prometheus.Counter

	// The hooks run under the governor's lock: they look their counters up
	// in these maps instead of building label values each time.
	mu       sync.Mutex
	decided  map[decisionKey]prometheus.Counter
	answered map[responseKey]prometheus.Counter
	held     map[string]prometheus.Counter
}

// New registers ratelord's metrics, the Go runtime and process collectors
// and a collector of g's pool states on reg, and returns the metrics.
// version is the daemon's version for ratelord_build_info. g is only read
// at scrape time, so it may be opened after New (but before the first
// scrape). New panics if reg already holds any of these metrics.
func New(reg prometheus.Registerer, g *governor.Governor, version string) *Metrics {
	m := &Metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelord_decisions_total",
			Help: "Final acquire decisions, once per pool of each decision; reason is empty for grants.",
		}, []string{labelPool, labelResult, labelReason}),
		acquire: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ratelord_acquire_duration_seconds", Buckets: acquireBuckets,
			Help: "Time from an acquire's arrival to its decision, waiting included.",
		}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ratelord_wait_duration_seconds", Buckets: waitBuckets,
			Help: "Time granted acquires were held waiting for their slot or a free lease (only those that waited).",
		}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelord_upstream_responses_total",
			Help: "Upstream answers observed, by pool, source (proxy, observe, poll) and HTTP status code.",
		}, []string{labelPool, labelSource, labelCode}),
		holds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelord_upstream_holds_total",
			Help: "Upstream refusals (429) that held a pool.",
		}, []string{labelPool}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ratelord_reloads_total",
			Help: "Policy reloads by result (success, failure).",
		}, []string{labelResult}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ratelord_last_reload_successful",
			Help: "1 when the last policy load or reload succeeded, 0 when it was refused.",
		}),
		reloadAt: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ratelord_last_reload_timestamp_seconds",
			Help: "Unix time of the last policy load or reload attempt, successful or not.",
		}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ratelord_store_commit_duration_seconds", Buckets: commitBuckets,
			Help: "Time of each group commit of the audit log, retries included.",
		}),
		commitEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ratelord_store_commit_events_total",
			Help: "Events committed to the audit log.",
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ratelord_store_commit_errors_total",
			Help: "Group commits that failed after every retry (their events were not acknowledged).",
		}),
		decided:  make(map[decisionKey]prometheus.Counter),
		answered: make(map[responseKey]prometheus.Counter),
		held:     make(map[string]prometheus.Counter),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "ratelord_build_info",
		Help:        "Always 1; the labels give the daemon's version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)
	// Both results exist from the start, so that increase() sees the first
	// one; the policy loaded at start counts as a good load.
	m.reloads.WithLabelValues(resultSuccess)
	m.reloads.WithLabelValues(resultFailure)
	m.reloadOK.Set(1)
	m.reloadAt.SetToCurrentTime()
	reg.MustRegister(
		m.decisions, m.acquire, m.wait, m.responses, m.holds,
		m.reloads, m.reloadOK, m.reloadAt,
		m.commitTime, m.commitEvents, m.commitErrors, buildInfo,
		poolCollector{g: g},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// ObserveCommit records one group commit of the store: it has the shape of
// sqlite.DB.OnCommit. Events count as committed only when err is nil.
func (m *Metrics) ObserveCommit(events int, d time.Duration, err error) {
	m.commitTime.Observe(d.Seconds())
	if err != nil {
		m.commitErrors.Inc()
		return
	}
	m.commitEvents.Add(float64(events))
}

// Reloaded records a policy reload and whether the new policy was taken.
func (m *Metrics) Reloaded(ok bool) {
	result, v := resultFailure, 0.0
	if ok {
		result, v = resultSuccess, 1
	}
	m.reloads.WithLabelValues(result).Inc()
	m.reloadOK.Set(v)
	m.reloadAt.SetToCurrentTime()
}
