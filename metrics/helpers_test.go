package metrics_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/governor/governortest"
	"github.com/ratelord/ratelord/metrics"
	"github.com/ratelord/ratelord/policy"
)

// MustGovernor opens a governor over a policy given as YAML, with a fake
// clock whose Sleep advances the clock, and metrics on a fresh registry.
func MustGovernor(tb testing.TB, yaml string) (*governor.Governor, *governortest.Clock, *metrics.Metrics, *prometheus.Registry) {
	tb.Helper()
	p, err := policy.Parse("test.yaml", []byte(yaml))
	if err != nil {
		tb.Fatalf("parse policy: %v", err)
	}
	c := governortest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	g := &governor.Governor{Store: &governortest.MemStore{}, Policy: p, Logger: slog.New(slog.DiscardHandler), Now: c.Now, Sleep: c.Sleep}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, g, "test")
	g.Hooks = m.Hooks()
	if err := g.Open(context.Background()); err != nil {
		tb.Fatalf("open governor: %v", err)
	}
	return g, c, m, reg
}

// Scrape GETs /metrics from a promhttp handler on reg and parses the text.
func Scrape(tb testing.TB, reg *prometheus.Registry) Families {
	tb.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.PanicOnError}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		tb.Fatalf("parse /metrics: %v", err)
	}
	return Families{tb: tb, fams: fams}
}

// Families is a parsed scrape.
type Families struct {
	tb   testing.TB
	fams map[string]*dto.MetricFamily
}

// Series returns the series of name whose labels include every pair of
// labels ("k1", "v1", "k2", "v2"...).
func (f Families) Series(name string, labels ...string) []*dto.Metric {
	var out []*dto.Metric
	fam := f.fams[name]
	if fam == nil {
		return nil
	}
next:
	for _, m := range fam.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			if !hasLabel(m, labels[i], labels[i+1]) {
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

// One returns the only series of name with labels, failing the test when
// there is none or more than one.
func (f Families) One(name string, labels ...string) *dto.Metric {
	f.tb.Helper()
	s := f.Series(name, labels...)
	if len(s) != 1 {
		f.tb.Fatalf("%s%v: %d series, want 1", name, labels, len(s))
	}
	return s[0]
}

// Value returns the value of the only counter, gauge or untyped series of
// name with labels.
func (f Families) Value(name string, labels ...string) float64 {
	f.tb.Helper()
	m := f.One(name, labels...)
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	default:
		return m.Untyped.GetValue()
	}
}

// hasLabel reports whether m has label name = value; an absent label has
// the value "", as in PromQL.
func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue() == value
		}
	}
	return value == ""
}
