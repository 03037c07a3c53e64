package upstream_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ratelord/ratelord/upstream"
)

func TestParseOpenAI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    http.Header
		want []upstream.Dimension
	}{
		// UPSTREAMS.md §2 header table: the sample column of the OpenAI guide.
		{"guide sample", rawHeader(
			"x-ratelimit-limit-requests", "60", "x-ratelimit-limit-tokens", "150000",
			"x-ratelimit-remaining-requests", "59", "x-ratelimit-remaining-tokens", "149984",
			"x-ratelimit-reset-requests", "1s", "x-ratelimit-reset-tokens", "6m0s"),
			[]upstream.Dimension{
				dim("requests", 60, 59, -1, now.Add(time.Second), 0),
				dim("tokens", 150000, 149984, -1, now.Add(6*time.Minute), 0),
			}},
		// UPSTREAMS.md §2 "Reset format": 12ms, 4m12.172s, 23h47m36.648s (user reports).
		{"reported long and short resets", canonHeader(
			"X-Ratelimit-Remaining-Requests", "9999", "X-Ratelimit-Reset-Requests", "23h47m36.648s",
			"X-Ratelimit-Remaining-Tokens", "0", "X-Ratelimit-Reset-Tokens", "4m12.172s"),
			[]upstream.Dimension{
				dim("requests", -1, 9999, -1, now.Add(23*time.Hour+47*time.Minute+36648*time.Millisecond), 0),
				dim("tokens", -1, 0, -1, now.Add(4*time.Minute+12172*time.Millisecond), 0),
			}},
		{"milliseconds and fractional seconds", rawHeader(
			"x-ratelimit-reset-requests", "20ms", "x-ratelimit-reset-tokens", "0.5s"),
			[]upstream.Dimension{
				dim("requests", -1, -1, -1, now.Add(20*time.Millisecond), 0),
				dim("tokens", -1, -1, -1, now.Add(500*time.Millisecond), 0),
			}},
		// UPSTREAMS.md §2: Azure OpenAI sends the same names with integer seconds,
		// and sometimes -1 (openai/openai-dotnet#838).
		{"Azure integer seconds and -1", rawHeader(
			"x-ratelimit-limit-requests", "-1", "x-ratelimit-remaining-requests", "-1", "x-ratelimit-reset-requests", "60",
			"x-ratelimit-limit-tokens", "30000", "x-ratelimit-remaining-tokens", "29200", "x-ratelimit-reset-tokens", "-1"),
			[]upstream.Dimension{
				dim("requests", -1, -1, -1, now.Add(time.Minute), 0),
				dim("tokens", 30000, 29200, -1, time.Time{}, 0),
			}},
		{"Azure remaining-requests alone", rawHeader("x-ratelimit-remaining-requests", "199"),
			[]upstream.Dimension{dim("requests", -1, 199, -1, time.Time{}, 0)}},
		{"zero reset is now", rawHeader("x-ratelimit-reset-tokens", "0"),
			[]upstream.Dimension{dim("tokens", -1, -1, -1, now, 0)}},
		{"malformed values", rawHeader(
			"x-ratelimit-limit-requests", "sixty", "x-ratelimit-reset-requests", "-1s",
			"x-ratelimit-remaining-tokens", "1e5", "x-ratelimit-reset-tokens", "soon"), nil},
		{"overflowing duration", rawHeader("x-ratelimit-reset-tokens", "9999999999h"), nil},
		{"usage_based headers are not a dimension", rawHeader("x-ratelimit-limit-tokens_usage_based", "100"), nil},
		// UPSTREAMS.md §2: the headers were missing on some requests (community thread 935514).
		{"no headers", http.Header{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := upstream.ParseOpenAI(tt.h, now)
			MustEqualDims(t, got, tt.want)
			checkDims(t, got)
		})
	}
}
