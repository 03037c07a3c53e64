package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Latency summarizes a set of latencies. In JSON the figures are
// microseconds.
type Latency struct {
	P50, P90, P99, Max, Mean time.Duration
}

// MarshalJSON writes the figures as microseconds.
func (l Latency) MarshalJSON() ([]byte, error) {
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	return json.Marshal(map[string]float64{
		"p50": us(l.P50), "p90": us(l.P90), "p99": us(l.P99), "max": us(l.Max), "mean": us(l.Mean),
	})
}

// Release is what releasing the granted leases measured (Config.Settle).
type Release struct {
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Latency  Latency `json:"latency_us"`
}

// Stats is what one measured server answered.
type Stats struct {
	Name string `json:"name"` // "ratelord" or "baseline"
	URL  string `json:"url"`
	// Requests counts the acquires sent in the counted part of the run.
	// Acquires cut short by a cancellation are not counted.
	Requests int64         `json:"requests"`
	Elapsed  time.Duration `json:"-"`
	Granted  int64         `json:"granted"` // HTTP 200
	Denied   int64         `json:"denied"`  // HTTP 429
	// Errors counts every other answer (ByStatus) and TransportErrors.
	Errors          int64            `json:"errors"`
	ByStatus        map[string]int64 `json:"errors_by_status"`
	TransportErrors int64            `json:"transport_errors"`
	FirstError      string           `json:"first_error,omitempty"`
	Latency         Latency          `json:"latency_us"`
	Release         *Release         `json:"release,omitempty"`
	Interrupted     bool             `json:"interrupted"`
}

// DecisionsPerSecond is the rate of grants and denials over the counted part.
func (s Stats) DecisionsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Granted+s.Denied) / s.Elapsed.Seconds()
}

// MarshalJSON adds the duration in seconds and the decision rate.
func (s Stats) MarshalJSON() ([]byte, error) {
	type plain Stats
	p := plain(s)
	return json.Marshal(struct {
		*plain
		Seconds   float64 `json:"duration_s"`
		Decisions float64 `json:"decisions_per_s"`
	}{&p, s.Elapsed.Seconds(), s.DecisionsPerSecond()})
}

// Ratio compares the daemon with the baseline: Throughput is its
// decisions/s over the baseline's (1 is as fast as bare net/http), P99 its
// p99 latency over the baseline's (1 is as fast, 2 twice as slow).
type Ratio struct {
	Throughput float64 `json:"throughput"`
	P99        float64 `json:"p99"`
}

// Result is the report of a Run.
type Result struct {
	Target   *Stats   `json:"target,omitempty"`
	Baseline *Stats   `json:"baseline,omitempty"`
	Ratio    *Ratio   `json:"ratio,omitempty"`
	Settings Settings `json:"settings"`
}

// Interrupted reports whether a cancellation cut the run short.
func (r Result) Interrupted() bool {
	return r.Target != nil && r.Target.Interrupted || r.Baseline != nil && r.Baseline.Interrupted
}

// WriteJSON writes r as one JSON object and a newline.
func (r Result) WriteJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(r)
}

// Print writes r as an aligned table, one row per server measured.
func (r Result) Print(w io.Writer) error {
	var b strings.Builder
	r.print(&b)
	// Right-aligned columns pad the empty cells at the end of a row.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

func (r Result) print(w *strings.Builder) {
	s := r.Settings
	run := s.Duration
	if s.Requests > 0 {
		run = strconv.FormatInt(s.Requests, 10) + " requests"
	}
	loop := "closed loop"
	if s.Rate > 0 {
		loop = fmt.Sprintf("open loop at %g/s", s.Rate)
	}
	fmt.Fprintf(w, "%d workers, %s after %s warmup, %s, pools %s, cost %s\n\n",
		s.Concurrency, run, s.Warmup, loop, poolList(s.Pools), costRange(s.CostMin, s.CostMax))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\trequests\tduration\tdecisions/s\tgranted\tdenied\terrors\tp50\tp90\tp99\tmax\t\n")
	for _, st := range []*Stats{r.Baseline, r.Target} {
		if st == nil {
			continue
		}
		l := st.Latency
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", st.Name, st.Requests,
			fmtDur(st.Elapsed), st.DecisionsPerSecond(), st.Granted, st.Denied, st.Errors,
			fmtDur(l.P50), fmtDur(l.P90), fmtDur(l.P99), fmtDur(l.Max))
		if rel := st.Release; rel != nil {
			l := rel.Latency
			fmt.Fprintf(tw, "%s release\t%d\t\t\t\t\t%d\t%s\t%s\t%s\t%s\t\n", st.Name, rel.Requests,
				rel.Errors, fmtDur(l.P50), fmtDur(l.P90), fmtDur(l.P99), fmtDur(l.Max))
		}
	}
	if r.Ratio != nil {
		fmt.Fprintf(tw, "ratio\t\t\t%.2f\t\t\t\t\t\t%.2fx\t\t\n", r.Ratio.Throughput, r.Ratio.P99)
	}
	tw.Flush()
	for _, st := range []*Stats{r.Baseline, r.Target} {
		if st != nil && st.Errors > 0 {
			fmt.Fprintf(w, "%s errors:%s\n", st.Name, errorList(st))
		}
	}
	if r.Interrupted() {
		fmt.Fprintln(w, "interrupted: these figures cover the run until then")
	}
}

// errorList names the errors of st by kind: " 503 x12, transport x3 (...)".
func errorList(st *Stats) string {
	var b strings.Builder
	for _, code := range slices.Sorted(maps.Keys(st.ByStatus)) {
		fmt.Fprintf(&b, " HTTP %s x%d,", code, st.ByStatus[code])
	}
	if st.TransportErrors > 0 {
		fmt.Fprintf(&b, " transport x%d,", st.TransportErrors)
	}
	if st.FirstError != "" {
		fmt.Fprintf(&b, " first: %s", st.FirstError)
	}
	return strings.TrimSuffix(b.String(), ",")
}

func poolList(pools map[string]int) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(pools)) {
		parts = append(parts, fmt.Sprintf("%s=%d", name, pools[name]))
	}
	return strings.Join(parts, ",")
}

func costRange(lo, hi int64) string {
	if lo == hi {
		return strconv.FormatInt(lo, 10)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

// fmtDur prints a latency with about three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.2fµs", float64(d)/1e3)
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
