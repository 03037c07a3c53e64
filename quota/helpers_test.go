package quota_test

import (
	"encoding/json"
	"testing"

	"github.com/ratelord/ratelord/quota"
)

const full = quota.FullShare

// op is one step of a table test, run in order against one State.
type op struct {
	kind  string // grant, earliest, charge, adjust, usage, prune, align, json
	now   int64
	from  int64
	at    int64
	cost  int64
	share int64
	want  int64
	ok    bool
	usage quota.Usage
}

// grant asks at now with the full share, expects want, and charges there.
func grant(now, cost, want int64) op {
	return op{kind: "grant", now: now, from: now, cost: cost, share: full, want: want, ok: true}
}

// deny asks at now and expects the retry time want (> now), charging nothing.
func deny(now, cost, want int64) op {
	return op{kind: "earliest", now: now, from: now, cost: cost, share: full, want: want, ok: true}
}

// earliest expects Earliest(now, from, cost, share) = (want, ok).
func earliest(now, from, cost, share, want int64, ok bool) op {
	return op{kind: "earliest", now: now, from: from, cost: cost, share: share, want: want, ok: ok}
}

func charge(at, cost int64) op          { return op{kind: "charge", at: at, cost: cost} }
func adjust(now, at, delta int64) op    { return op{kind: "adjust", now: now, at: at, cost: delta} }
func align(resetAt int64) op            { return op{kind: "align", at: resetAt} }
func prune(now int64, empty bool) op    { return op{kind: "prune", now: now, ok: empty} }
func roundTrip() op                     { return op{kind: "json"} }
func usage(now int64, u quota.Usage) op { return op{kind: "usage", now: now, usage: u} }

// runOps runs ops in order against a fresh State.
func runOps(t *testing.T, l quota.Limit, ops []op) {
	t.Helper()
	var s quota.State
	for i, o := range ops {
		switch o.kind {
		case "grant", "earliest":
			got, ok := l.Earliest(&s, o.now, o.from, o.cost, o.share)
			if ok != o.ok || ok && got != o.want {
				t.Fatalf("step %d: Earliest(now=%d, from=%d, cost=%d, share=%d) = %d, %v; want %d, %v",
					i, o.now, o.from, o.cost, o.share, got, ok, o.want, o.ok)
			}
			if o.kind == "grant" {
				l.Charge(&s, got, o.cost)
			}
		case "charge":
			l.Charge(&s, o.at, o.cost)
		case "adjust":
			l.Adjust(&s, o.now, o.at, o.cost)
		case "align":
			l.Align(&s, o.at)
		case "usage":
			if got := l.Usage(&s, o.now); got != o.usage {
				t.Fatalf("step %d: Usage(%d) = %+v; want %+v", i, o.now, got, o.usage)
			}
		case "prune":
			if got := l.Prune(&s, o.now); got != o.ok {
				t.Fatalf("step %d: Prune(%d) = %v; want %v (state %+v)", i, o.now, got, o.ok, s)
			}
		case "json":
			s = MustRoundTrip(t, &s)
		default:
			t.Fatalf("step %d: unknown op %q", i, o.kind)
		}
	}
}

// MustRoundTrip encodes s as JSON and decodes it into a new State.
func MustRoundTrip(tb testing.TB, s *quota.State) quota.State {
	tb.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		tb.Fatalf("marshal state: %v", err)
	}
	var out quota.State
	if err := json.Unmarshal(b, &out); err != nil {
		tb.Fatalf("unmarshal state %s: %v", b, err)
	}
	return out
}
