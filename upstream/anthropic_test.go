package upstream_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ratelord/ratelord/upstream"
)

func TestParseAnthropic(t *testing.T) {
	t.Parallel()
	reset := time.Date(2025, 8, 21, 12, 40, 59, 0, time.UTC)
	tests := []struct {
		name string
		h    http.Header
		want []upstream.Dimension
	}{
		// UPSTREAMS.md §3 header table, with the docs' reset example 2025-08-21T12:40:59Z.
		{"all four dimensions", rawHeader(
			"anthropic-ratelimit-requests-limit", "50", "anthropic-ratelimit-requests-remaining", "49",
			"anthropic-ratelimit-requests-reset", "2025-08-21T12:40:59Z",
			"anthropic-ratelimit-tokens-limit", "90000", "anthropic-ratelimit-tokens-remaining", "89000",
			"anthropic-ratelimit-tokens-reset", "2025-08-21T12:40:59Z",
			"anthropic-ratelimit-input-tokens-limit", "40000", "anthropic-ratelimit-input-tokens-remaining", "40000",
			"anthropic-ratelimit-input-tokens-reset", "2025-08-21T12:40:59Z",
			"anthropic-ratelimit-output-tokens-limit", "8000", "anthropic-ratelimit-output-tokens-remaining", "8000",
			"anthropic-ratelimit-output-tokens-reset", "2025-08-21T12:40:59Z",
			"retry-after", "1", "anthropic-priority-input-tokens-limit", "1000"),
			[]upstream.Dimension{
				dim("requests", 50, 49, -1, reset, 0),
				dim("tokens", 90000, 89000, -1, reset, 0),
				dim("input-tokens", 40000, 40000, -1, reset, 0),
				dim("output-tokens", 8000, 8000, -1, reset, 0),
			}},
		{"canonical keys, offset and fraction in the reset", canonHeader(
			"Anthropic-Ratelimit-Requests-Remaining", "0",
			"Anthropic-Ratelimit-Requests-Reset", "2025-08-21T14:40:59.5+02:00"),
			[]upstream.Dimension{dim("requests", -1, 0, -1, reset.Add(500*time.Millisecond), 0)}},
		{"malformed values", rawHeader(
			"anthropic-ratelimit-requests-limit", "50 rpm",
			"anthropic-ratelimit-tokens-reset", "1755780059",
			"anthropic-ratelimit-output-tokens-reset", "Thu, 21 Aug 2025 12:40:59 GMT",
			"anthropic-ratelimit-input-tokens-remaining", "-5"), nil},
		{"missing limit keeps the rest", rawHeader("anthropic-ratelimit-tokens-remaining", "1000"),
			[]upstream.Dimension{dim("tokens", -1, 1000, -1, time.Time{}, 0)}},
		{"no headers", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := upstream.ParseAnthropic(tt.h, now)
			MustEqualDims(t, got, tt.want)
			checkDims(t, got)
		})
	}
}
