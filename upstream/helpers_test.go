package upstream_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ratelord/ratelord/upstream"
)

// now is the caller's clock in every parser test.
var now = time.Date(2025, 8, 21, 12, 40, 0, 0, time.UTC)

// rawHeader builds a header map with the keys exactly as given, the way an
// observe request's JSON map arrives (often lower case, not canonical).
func rawHeader(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = append(h[kv[i]], kv[i+1])
	}
	return h
}

// canonHeader builds a header the way net/http does, with canonical keys.
func canonHeader(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// dim builds an expected dimension; pass -1 for unknown counts.
func dim(name string, limit, remaining, used int64, reset time.Time, window time.Duration) upstream.Dimension {
	return upstream.Dimension{Name: name, Limit: limit, Remaining: remaining, Used: used, ResetAt: reset, Window: window}
}

// MustEqualDims fails the test unless got and want hold the same dimensions
// in the same order.
func MustEqualDims(tb testing.TB, got, want []upstream.Dimension) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d dimensions, want %d:\n got  %s\n want %s", len(got), len(want), fmtDims(got), fmtDims(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Limit != w.Limit || g.Remaining != w.Remaining || g.Used != w.Used ||
			!g.ResetAt.Equal(w.ResetAt) || g.Window != w.Window {
			tb.Fatalf("dimension %d:\n got  %s\n want %s", i, fmtDims(got[i:i+1]), fmtDims(want[i:i+1]))
		}
	}
}

func fmtDims(ds []upstream.Dimension) string {
	var b strings.Builder
	for _, d := range ds {
		reset := "-"
		if !d.ResetAt.IsZero() {
			reset = d.ResetAt.UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintf(&b, "{%s limit=%d remaining=%d used=%d reset=%s window=%s} ", d.Name, d.Limit, d.Remaining, d.Used, reset, d.Window)
	}
	return b.String()
}

// checkDims asserts the invariants every parser keeps, whatever its input.
func checkDims(tb testing.TB, ds []upstream.Dimension) {
	tb.Helper()
	for _, d := range ds {
		if d.Name == "" {
			tb.Fatalf("dimension without a name: %s", fmtDims(ds))
		}
		if d.Limit < -1 || d.Remaining < -1 || d.Used < -1 || d.Window < 0 {
			tb.Fatalf("negative field: %s", fmtDims(ds))
		}
		if d.Limit == -1 && d.Remaining == -1 && d.Used == -1 && d.ResetAt.IsZero() && d.Window == 0 {
			tb.Fatalf("empty dimension kept: %s", fmtDims(ds))
		}
		if !d.ResetAt.IsZero() && d.ResetAt.Location() != time.UTC {
			tb.Fatalf("reset not in UTC: %v", d.ResetAt)
		}
	}
}
