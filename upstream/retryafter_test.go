package upstream_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ratelord/ratelord/upstream"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		// UPSTREAMS.md §4 "Retry-After": Retry-After: 120.
		{"delay-seconds", canonHeader("Retry-After", "120"), 120 * time.Second},
		// UPSTREAMS.md §4: an IMF-fixdate; here 90 s after now.
		{"IMF-fixdate", rawHeader("retry-after", "Thu, 21 Aug 2025 12:41:30 GMT"), 90 * time.Second},
		{"RFC 850 date", rawHeader("Retry-After", "Thursday, 21-Aug-25 12:41:30 GMT"), 90 * time.Second},
		{"asctime date", rawHeader("Retry-After", "Thu Aug 21 12:41:30 2025"), 90 * time.Second},
		// UPSTREAMS.md §4: Fri, 31 Dec 1999 23:59:59 GMT, long past.
		{"date in the past", canonHeader("Retry-After", "Fri, 31 Dec 1999 23:59:59 GMT"), 0},
		// UPSTREAMS.md §2: the OpenAI SDK accepts fractional seconds.
		{"fractional seconds", rawHeader("retry-after", "1.5"), 1500 * time.Millisecond},
		// UPSTREAMS.md §2: retry-after-ms is read first.
		{"retry-after-ms wins", rawHeader("retry-after", "2", "retry-after-ms", "634.5"), 634500 * time.Microsecond},
		{"canonical Retry-After-Ms", canonHeader("Retry-After-Ms", "20"), 20 * time.Millisecond},
		// UPSTREAMS.md §4: Azure's x-ms-retry-after-ms.
		{"Azure x-ms-retry-after-ms", rawHeader("x-ms-retry-after-ms", "1000", "retry-after", "1"), time.Second},
		{"malformed ms falls back", rawHeader("retry-after-ms", "-5", "retry-after", "3"), 3 * time.Second},
		{"negative seconds", rawHeader("retry-after", "-3"), 0},
		{"garbage", rawHeader("retry-after", "later"), 0},
		{"exponent is malformed", rawHeader("retry-after", "1e3"), 0},
		{"NaN is malformed", rawHeader("retry-after-ms", "NaN"), 0},
		{"overflow is malformed", rawHeader("retry-after", "99999999999999999999"), 0},
		{"zero", rawHeader("retry-after", "0"), 0},
		{"absent", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := upstream.ParseRetryAfter(tt.h, now); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	gh := func(remaining string, extra ...string) http.Header {
		return rawHeader(append([]string{"x-ratelimit-limit", "5000", "x-ratelimit-remaining", remaining,
			"x-ratelimit-reset", "1691591363", "x-ratelimit-resource", "core"}, extra...)...)
	}
	tests := []struct {
		name, dialect string
		h             http.Header
		status        int
		dims          int
		retry         time.Duration
		limited       bool
	}{
		// UPSTREAMS.md §1 "What happens when a limit is exceeded": 403 or 429
		// with x-ratelimit-remaining: 0.
		{"github primary limit as 403", "github", gh("0"), 403, 1, 0, true},
		{"github primary limit as 429", "github", gh("0"), 429, 1, 0, true},
		{"github secondary limit: 403 with retry-after", "github", gh("4000", "retry-after", "60"), 403, 1, time.Minute, true},
		{"github plain 403 is not a limit", "github", gh("4000"), 403, 1, 0, false},
		{"github ok", "GitHub", gh("4999"), 200, 1, 0, false},
		{"openai 429 with retry-after-ms", "openai", rawHeader("x-ratelimit-remaining-tokens", "0", "retry-after-ms", "634"), 429, 1, 634 * time.Millisecond, true},
		{"openai 403 is not a limit", "openai", rawHeader("x-ratelimit-remaining-tokens", "0"), 403, 1, 0, false},
		{"anthropic", "anthropic", rawHeader("anthropic-ratelimit-requests-remaining", "3", "retry-after", "5"), 429, 1, 5 * time.Second, true},
		{"ietf", "ietf", rawHeader("RateLimit", `"default";r=0;t=9`), 200, 1, 0, false},
		{"none reads only retry-after", "none", gh("0", "retry-after", "7"), 429, 0, 7 * time.Second, true},
		{"unknown dialect reads like none", "acme", gh("0"), 503, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := upstream.Parse(tt.dialect, tt.h, tt.status, now)
			if !o.At.Equal(now) || o.Status != tt.status {
				t.Fatalf("At, Status = %v, %d; want %v, %d", o.At, o.Status, now, tt.status)
			}
			if len(o.Dimensions) != tt.dims || o.RetryAfter != tt.retry || o.Limited != tt.limited {
				t.Fatalf("got %d dims, retry %v, limited %v; want %d, %v, %v",
					len(o.Dimensions), o.RetryAfter, o.Limited, tt.dims, tt.retry, tt.limited)
			}
			checkDims(t, o.Dimensions)
		})
	}
}
