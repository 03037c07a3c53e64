package upstream_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/ratelord/ratelord/upstream"
)

func TestParseGitHub(t *testing.T) {
	t.Parallel()
	reset := time.Unix(1691591363, 0).UTC()
	tests := []struct {
		name string
		h    http.Header
		want []upstream.Dimension
	}{
		// UPSTREAMS.md §1 "Response headers": the five headers in lower case as
		// the GitHub docs show them, values of the docs' core example.
		{"docs sample, lower case", rawHeader(
			"x-ratelimit-limit", "5000", "x-ratelimit-remaining", "4999", "x-ratelimit-used", "1",
			"x-ratelimit-reset", "1691591363", "x-ratelimit-resource", "core"),
			[]upstream.Dimension{dim("core", 5000, 4999, 1, reset, 0)}},
		// UPSTREAMS.md §1: go-github's spelling X-Ratelimit-*, as net/http stores them.
		{"go-github spelling, search resource", canonHeader(
			"X-Ratelimit-Limit", "30", "X-Ratelimit-Remaining", "18", "X-Ratelimit-Used", "12",
			"X-Ratelimit-Reset", "1691591091", "X-Ratelimit-Resource", "search"),
			[]upstream.Dimension{dim("search", 30, 18, 12, time.Unix(1691591091, 0).UTC(), 0)}},
		{"mixed case keys in a JSON map", rawHeader(
			"X-RateLimit-Limit", "60", "X-RATELIMIT-REMAINING", "0", "x-RateLimit-Resource", "graphql"),
			[]upstream.Dimension{dim("graphql", 60, 0, -1, time.Time{}, 0)}},
		{"no resource means core", rawHeader("x-ratelimit-remaining", "12"),
			[]upstream.Dimension{dim("core", -1, 12, -1, time.Time{}, 0)}},
		{"malformed fields are unknown", rawHeader(
			"x-ratelimit-limit", "5k", "x-ratelimit-remaining", "-1", "x-ratelimit-used", "1.5",
			"x-ratelimit-reset", "1691591363"),
			[]upstream.Dimension{dim("core", -1, -1, -1, reset, 0)}},
		{"reset beyond year 9999 is malformed", rawHeader("x-ratelimit-reset", "99999999999999", "x-ratelimit-limit", "1"),
			[]upstream.Dimension{dim("core", 1, -1, -1, time.Time{}, 0)}},
		{"overflowing count is malformed", rawHeader("x-ratelimit-limit", "9223372036854775808"), nil},
		{"nothing parsable", rawHeader("x-ratelimit-limit", "", "x-ratelimit-remaining", "lots", "x-ratelimit-resource", "core"), nil},
		{"no headers", nil, nil},
		{"other dialect's headers", rawHeader("x-ratelimit-limit-requests", "60"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := upstream.ParseGitHub(tt.h, now)
			MustEqualDims(t, got, tt.want)
			checkDims(t, got)
		})
	}
}

func TestParseRateLimitBody(t *testing.T) {
	t.Parallel()
	// testdata/rate_limit.json is the example response of GET /rate_limit in
	// the GitHub REST docs (rest/rate-limit/rate-limit, "Example response").
	body, err := os.ReadFile("testdata/rate_limit.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := upstream.ParseRateLimitBody(body, now)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s int64) time.Time { return time.Unix(s, 0).UTC() }
	MustEqualDims(t, got, []upstream.Dimension{
		dim("actions_runner_registration", 10000, 10000, 0, at(1691594631), 0),
		dim("code_scanning_upload", 500, 499, 1, at(1691594631), 0),
		dim("code_search", 10, 10, 0, at(1691591091), 0),
		dim("core", 5000, 4999, 1, at(1691591363), 0),
		dim("dependency_snapshots", 100, 100, 0, at(1691591091), 0),
		dim("graphql", 5000, 4993, 7, at(1691593228), 0),
		dim("integration_manifest", 5000, 4999, 1, at(1691594631), 0),
		dim("scim", 15000, 15000, 0, at(1691594631), 0),
		dim("search", 30, 18, 12, at(1691591091), 0),
		dim("source_import", 100, 99, 1, at(1691591091), 0),
	})
}

func TestParseRateLimitBodyOdd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       []upstream.Dimension
		wantErr    bool
	}{
		{"only the deprecated rate", `{"rate":{"limit":60,"remaining":59,"reset":1691591363,"used":1}}`,
			[]upstream.Dimension{dim("core", 60, 59, 1, time.Unix(1691591363, 0).UTC(), 0)}, false},
		{"odd values are unknown, not fatal", `{"resources":{"core":{"limit":"5000","remaining":-3,"used":2.0,"reset":null},"search":[1],"x":{"limit":1e3}}}`,
			[]upstream.Dimension{dim("core", -1, -1, 2, time.Time{}, 0), dim("x", 1000, -1, -1, time.Time{}, 0)}, false},
		{"not JSON", `<html>rate limited</html>`, nil, true},
		{"no resources", `{"message":"Bad credentials"}`, nil, true},
		{"empty resources", `{"resources":{"core":{}}}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := upstream.ParseRateLimitBody([]byte(tt.body), now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			MustEqualDims(t, got, tt.want)
		})
	}
}
