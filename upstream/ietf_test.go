package upstream_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ratelord/ratelord/upstream"
)

func TestParseIETF(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		name string
		h    http.Header
		want []upstream.Dimension
	}{
		// UPSTREAMS.md §4 "Latest syntax": RateLimit: "default";r=50;t=30 with a
		// policy as in the draft's examples.
		{"current syntax", canonHeader("RateLimit-Policy", `"default";q=100;w=60`, "RateLimit", `"default";r=50;t=30`),
			[]upstream.Dimension{dim("default", 100, 50, -1, now.Add(30*s), 60*s)}},
		// UPSTREAMS.md §4: RateLimit-Policy: "burst";q=100;w=60,"daily";q=1000;w=86400.
		{"two policies, one limit", rawHeader(
			"ratelimit-policy", `"burst";q=100;w=60,"daily";q=1000;w=86400`, "ratelimit", `"daily";r=999;t=3600`),
			[]upstream.Dimension{
				dim("burst", 100, -1, -1, time.Time{}, 60*s),
				dim("daily", 1000, 999, -1, now.Add(3600*s), 86400*s),
			}},
		// UPSTREAMS.md §4: the peruser example with qu and pk parameters, and
		// RateLimit: "default";r=999;pk=:dHJpYWwxMjEzMjM=:.
		{"other parameters ignored", canonHeader(
			"RateLimit-Policy", `"peruser";q=65535;qu="content-bytes";w=10;pk=:sdfjLJUOUH==:`,
			"RateLimit", `"default";r=999;pk=:dHJpYWwxMjEzMjM=:, "peruser";r=100;t=5;acme-burst=3`),
			[]upstream.Dimension{
				dim("peruser", 65535, 100, -1, now.Add(5*s), 10*s),
				dim("default", -1, 999, -1, time.Time{}, 0),
			}},
		{"several field lines form one list", canonHeader(
			"RateLimit-Policy", `"a";q=10;w=1`, "RateLimit-Policy", `"b";q=20;w=2`, "RateLimit", `"b";r=3`),
			[]upstream.Dimension{dim("a", 10, -1, -1, time.Time{}, s), dim("b", 20, 3, -1, time.Time{}, 2*s)}},
		{"quoted names with escapes and separators", canonHeader(
			"RateLimit-Policy", `"a, \"b\";c";q=5`, "RateLimit", `"a, \"b\";c";r=4`),
			[]upstream.Dimension{dim(`a, "b";c`, 5, 4, -1, time.Time{}, 0)}},
		// UPSTREAMS.md §4 "-08": unquoted names, l= in some examples.
		{"draft -08 tokens", rawHeader("RateLimit-Policy", "default;q=100;w=60", "RateLimit", "default;r=50;t=30;l=100"),
			[]upstream.Dimension{dim("default", 100, 50, -1, now.Add(30*s), 60*s)}},
		// UPSTREAMS.md §4 "-07": RateLimit: limit=100, remaining=50, reset=30 with RateLimit-Policy: 100;w=60.
		{"draft -07 dictionary", rawHeader("RateLimit", "limit=100, remaining=50, reset=30", "RateLimit-Policy", "100;w=60"),
			[]upstream.Dimension{dim("default", 100, 50, -1, now.Add(30*s), 60*s)}},
		{"draft -07 quota only in the policy", rawHeader("RateLimit", "remaining=50, reset=30", "RateLimit-Policy", "100;w=60"),
			[]upstream.Dimension{dim("default", 100, 50, -1, now.Add(30*s), 60*s)}},
		// UPSTREAMS.md §4 "Up to -06": the three fields, delta seconds.
		{"three fields", canonHeader("RateLimit-Limit", "100", "RateLimit-Remaining", "50", "RateLimit-Reset", "50"),
			[]upstream.Dimension{dim("default", 100, 50, -1, now.Add(50*s), 0)}},
		{"three fields with a window in RateLimit-Limit", rawHeader(
			"ratelimit-limit", "100, 100;w=60", "ratelimit-remaining", "0", "ratelimit-reset", "7"),
			[]upstream.Dimension{dim("default", 100, 0, -1, now.Add(7*s), 60*s)}},
		// UPSTREAMS.md §4: optionally RateLimit-Policy: 10;w=1, 50;w=60, 1000;w=3600.
		{"three fields with integer policies", canonHeader(
			"RateLimit-Limit", "50", "RateLimit-Remaining", "12", "RateLimit-Reset", "20",
			"RateLimit-Policy", "10;w=1, 50;w=60, 1000;w=3600"),
			[]upstream.Dimension{dim("default", 50, 12, -1, now.Add(20*s), 60*s)}},
		{"reset given as a timestamp", rawHeader("RateLimit-Remaining", "1", "RateLimit-Reset", "1755780059"),
			[]upstream.Dimension{dim("default", -1, 1, -1, time.Unix(1755780059, 0).UTC(), 0)}},
		{"current syntax wins over the old fields", canonHeader(
			"RateLimit", `"default";r=5;t=1`, "RateLimit-Remaining", "9", "RateLimit-Limit", "10"),
			[]upstream.Dimension{dim("default", 10, 5, -1, now.Add(s), 0)}},
		{"empty name is default", canonHeader("RateLimit", `"";r=1`),
			[]upstream.Dimension{dim("default", -1, 1, -1, time.Time{}, 0)}},
		{"malformed items are skipped, good ones kept", canonHeader(
			"RateLimit", `"x";r=-1;t=abc, "y";r=2, @bad;r=3, :Ynl0ZXM=:;r=4, "open;r=1`),
			[]upstream.Dimension{dim("y", -1, 2, -1, time.Time{}, 0)}},
		{"malformed values", canonHeader(
			"RateLimit-Policy", `"p";q=-5;w=0`, "RateLimit-Limit", "lots", "RateLimit-Remaining", "-1", "RateLimit-Reset", "soon"), nil},
		{"no headers", http.Header{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := upstream.ParseIETF(tt.h, now)
			MustEqualDims(t, got, tt.want)
			checkDims(t, got)
		})
	}
}
