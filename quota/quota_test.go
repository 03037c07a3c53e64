package quota_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ratelord/ratelord/quota"
)

func TestParseAlgorithm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want quota.Algorithm
		err  string
	}{
		{"", quota.Sliding, ""},
		{"sliding", quota.Sliding, ""},
		{"fixed", quota.Fixed, ""},
		{"bucket", quota.Bucket, ""},
		{"Bucket", quota.Sliding, `unknown algorithm "Bucket" (want sliding, fixed or bucket)`},
		{"leaky", quota.Sliding, `unknown algorithm "leaky" (want sliding, fixed or bucket)`},
	}
	for _, tt := range tests {
		got, err := quota.ParseAlgorithm(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseAlgorithm(%q) error = %v; want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseAlgorithm(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if tt.in != "" && got.String() != tt.in {
			t.Errorf("%v.String() = %q; want %q", got, got.String(), tt.in)
		}
	}
	if got := quota.Algorithm(9).String(); got != "Algorithm(9)" {
		t.Errorf("Algorithm(9).String() = %q", got)
	}
}

func TestMaxCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limit quota.Limit
		share int64
		want  int64
	}{
		{quota.Limit{Limit: 10, Window: 1}, full, 10},
		{quota.Limit{Limit: 10, Window: 1}, 7000, 7},
		{quota.Limit{Limit: 10, Window: 1}, 6999, 6},
		{quota.Limit{Limit: 10, Window: 1}, 20000, 10}, // clamped
		{quota.Limit{Limit: 10, Window: 1}, -5, 0},
		{quota.Limit{Limit: 10, Window: 1, Burst: 4}, full, 4},
		{quota.Limit{Algorithm: quota.Fixed, Limit: 10, Window: 1, Burst: 4}, 5000, 2},
		{quota.Limit{Algorithm: quota.Bucket, Limit: 10, Window: 1}, full, 10},
		{quota.Limit{Algorithm: quota.Bucket, Limit: 10, Window: 1, Burst: 40}, 9000, 36},
		{quota.Limit{Limit: 1 << 62, Window: 1}, 9999, 4611224849825545165}, // floor(2^62*0.9999), no overflow
		{quota.Limit{Limit: 10, Window: 0}, full, 0},
		{quota.Limit{Algorithm: 7, Limit: 10, Window: 1}, full, 0},
	}
	for _, tt := range tests {
		if got := tt.limit.MaxCost(tt.share); got != tt.want {
			t.Errorf("%+v.MaxCost(%d) = %d; want %d", tt.limit, tt.share, got, tt.want)
		}
	}
}

func TestInvalidLimitGrantsNothing(t *testing.T) {
	t.Parallel()
	for _, l := range []quota.Limit{
		{Limit: 0, Window: 10},
		{Limit: 10, Window: 0},
		{Limit: 10, Window: 10, Burst: -1},
		{Algorithm: 3, Limit: 10, Window: 10},
	} {
		var s quota.State
		if _, ok := l.Earliest(&s, 0, 0, 1, full); ok {
			t.Errorf("%+v: Earliest ok", l)
		}
		l.Charge(&s, 0, 1)
		l.Adjust(&s, 0, 0, 1)
		l.Align(&s, 5)
		if u := l.Usage(&s, 3); u != (quota.Usage{ResetAt: 3}) {
			t.Errorf("%+v: Usage = %+v", l, u)
		}
		if s.Entries != nil || s.Windows != nil || s.TAT != 0 || s.Origin != 0 {
			t.Errorf("%+v: state changed: %+v", l, s)
		}
	}
}

// TestJSONRoundTrip checks that a decoded State decides like the original,
// for every algorithm, with booked slots and burst state in it.
func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, l := range []quota.Limit{
		{Algorithm: quota.Sliding, Limit: 7, Window: 20},
		{Algorithm: quota.Sliding, Limit: 7, Window: 20, Burst: 3},
		{Algorithm: quota.Fixed, Limit: 7, Window: 20},
		{Algorithm: quota.Fixed, Limit: 7, Window: 20, Burst: 3},
		{Algorithm: quota.Bucket, Limit: 7, Window: 20},
		{Algorithm: quota.Bucket, Limit: 7, Window: 20, Burst: 9},
	} {
		t.Run(l.Algorithm.String(), func(t *testing.T) {
			t.Parallel()
			var a quota.State
			l.Align(&a, 13)
			for now := int64(0); now < 60; now += 3 {
				if at, ok := l.Earliest(&a, now, now+now%7, 1+now%3, full); ok {
					l.Charge(&a, at, 1+now%3)
				}
			}
			l.Adjust(&a, 60, 61, -1)
			b := MustRoundTrip(t, &a)
			c := a.Clone()
			for now := int64(60); now < 200; now++ {
				cost := 1 + now%4
				ta, oka := l.Earliest(&a, now, now+now%5, cost, 8000)
				tb, okb := l.Earliest(&b, now, now+now%5, cost, 8000)
				tc, okc := l.Earliest(&c, now, now+now%5, cost, 8000)
				if ta != tb || oka != okb || ta != tc || oka != okc {
					t.Fatalf("now %d: Earliest = %d,%v original, %d,%v decoded, %d,%v clone", now, ta, oka, tb, okb, tc, okc)
				}
				if ua, ub := l.Usage(&a, now), l.Usage(&b, now); ua != ub {
					t.Fatalf("now %d: Usage = %+v original, %+v decoded", now, ua, ub)
				}
				if oka && now%3 != 0 {
					l.Charge(&a, ta, cost)
					l.Charge(&b, tb, cost)
					l.Charge(&c, tc, cost)
				}
			}
		})
	}
}

func TestDecodeRepairsOrder(t *testing.T) {
	t.Parallel()
	l := quota.Limit{Limit: 3, Window: 10}
	var s quota.State
	in := `{"entries":[{"at":5,"units":1},{"at":2,"units":1},{"at":5,"units":1},{"at":3,"units":0}]}`
	if err := json.NewDecoder(strings.NewReader(in)).Decode(&s); err != nil {
		t.Fatal(err)
	}
	if got, ok := l.Earliest(&s, 5, 5, 1, full); !ok || got != 12 {
		t.Fatalf("Earliest = %d, %v; want 12", got, ok)
	}
	if u := l.Usage(&s, 5); u != (quota.Usage{Used: 3, Remaining: 0, ResetAt: 12}) {
		t.Fatalf("Usage = %+v", u)
	}
}

func TestPruneDropsUnusedFields(t *testing.T) {
	t.Parallel()
	s := quota.State{
		Entries: []quota.Entry{{At: 100, Units: 1}},
		Windows: []quota.WindowCount{{Start: 100, Units: 1}},
		Origin:  3,
		TAT:     500,
	}
	l := quota.Limit{Algorithm: quota.Bucket, Limit: 1, Window: 10}
	if l.Prune(&s, 501) != true {
		t.Fatalf("Prune = false; state %+v", s)
	}
	if s.Entries != nil || s.Windows != nil || s.Origin != 0 {
		t.Fatalf("state %+v", s)
	}
}
