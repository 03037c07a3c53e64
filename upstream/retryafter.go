package upstream

import (
	"net/http"
	"time"
)

// retryAfterMsHeaders are the millisecond variants of Retry-After, in the
// order they win: OpenAI's retry-after-ms, then Azure's x-ms-retry-after-ms.
var retryAfterMsHeaders = []string{"retry-after-ms", "x-ms-retry-after-ms"}

// ParseRetryAfter returns how long the upstream asks the caller to wait, or
// 0 if it does not say. A valid retry-after-ms (milliseconds, possibly
// fractional; x-ms-retry-after-ms on Azure) wins over Retry-After, which is
// delay-seconds (fractional seconds are accepted, as the OpenAI SDK does) or
// an HTTP-date taken relative to now; a date in the past gives 0.
// Malformed and negative values are ignored.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	for _, name := range retryAfterMsHeaders {
		if ms, ok := parseDecimal(header(h, name)); ok {
			if d, ok := seconds(ms / 1000); ok {
				return d
			}
		}
	}
	v := header(h, "retry-after")
	if v == "" {
		return 0
	}
	if s, ok := parseDecimal(v); ok {
		d, _ := seconds(s)
		return d
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
