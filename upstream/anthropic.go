package upstream

import (
	"net/http"
	"time"
)

// anthropicKinds are the dimensions Anthropic reports, in the order
// ParseAnthropic returns them.
var anthropicKinds = []string{"requests", "tokens", "input-tokens", "output-tokens"}

// ParseAnthropic reads Anthropic's
// anthropic-ratelimit-(requests|tokens|input-tokens|output-tokens)-(limit|remaining|reset)
// headers. The reset is an absolute RFC 3339 time, such as
// 2025-08-21T12:40:59Z. Each dimension is returned only when something
// about it parses. The Priority Tier headers (anthropic-priority-*) are not
// read.
func ParseAnthropic(h http.Header, now time.Time) []Dimension {
	var dims []Dimension
	for _, kind := range anthropicKinds {
		prefix := "anthropic-ratelimit-" + kind
		d := newDimension(kind)
		if n, ok := parseCount(header(h, prefix+"-limit")); ok {
			d.Limit = n
		}
		if n, ok := parseCount(header(h, prefix+"-remaining")); ok {
			d.Remaining = n
		}
		if t, err := time.Parse(time.RFC3339, header(h, prefix+"-reset")); err == nil && t.Unix() >= 0 {
			d.ResetAt = t.UTC()
		}
		if d.known() {
			dims = append(dims, d)
		}
	}
	return dims
}
