package upstream

import (
	"net/http"
	"strings"
	"time"
)

// openAIKinds are the dimensions OpenAI and Azure OpenAI report, in the
// order ParseOpenAI returns them.
var openAIKinds = []string{"requests", "tokens"}

// ParseOpenAI reads OpenAI's x-ratelimit-(limit|remaining|reset)-(requests|tokens)
// headers, as Azure OpenAI also sends them. It returns a "requests" and a
// "tokens" dimension, each only when something about it parses, so a lone
// x-ratelimit-remaining-requests still gives a dimension.
//
// The reset is relative to now: a Go duration such as "1s", "6m0s", "20ms",
// "0.5s" or "23h47m36.648s" on OpenAI, plain (possibly fractional) seconds
// on Azure. Azure's occasional -1 values are malformed and read as unknown.
func ParseOpenAI(h http.Header, now time.Time) []Dimension {
	var dims []Dimension
	for _, kind := range openAIKinds {
		d := newDimension(kind)
		if n, ok := parseCount(header(h, "x-ratelimit-limit-"+kind)); ok {
			d.Limit = n
		}
		if n, ok := parseCount(header(h, "x-ratelimit-remaining-"+kind)); ok {
			d.Remaining = n
		}
		if rel, ok := parseRelative(header(h, "x-ratelimit-reset-"+kind)); ok {
			d.ResetAt = now.Add(rel).UTC()
		}
		if d.known() {
			dims = append(dims, d)
		}
	}
	return dims
}

// parseRelative reads a non-negative time span written as a Go duration
// ("6m0s", "1.5s") or as a bare number of seconds ("60", "0.5").
func parseRelative(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if f, ok := parseDecimal(s); ok {
		return seconds(f)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}
