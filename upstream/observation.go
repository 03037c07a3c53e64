// Package upstream reads what an upstream API says about its own quotas: the
// rate-limit header dialects of GitHub, OpenAI (and Azure OpenAI), Anthropic
// and the IETF RateLimit draft, Retry-After, GitHub's /rate_limit endpoint,
// and the token counts of LLM requests and answers.
//
// Every parser here is lenient by design: a missing or malformed value leaves
// that field unknown (-1 or zero) and never fails the whole answer, because a
// proxy must keep forwarding whatever the upstream sends.
package upstream

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The dialect names accepted by Parse, as written in the policy file (the
// same strings as policy.Dialects; this package does not import policy).
const (
	DialectGitHub    = "github"    // x-ratelimit-*, see ParseGitHub
	DialectOpenAI    = "openai"    // x-ratelimit-*-(requests|tokens), see ParseOpenAI
	DialectAnthropic = "anthropic" // anthropic-ratelimit-*, see ParseAnthropic
	DialectIETF      = "ietf"      // RateLimit and RateLimit-Policy, see ParseIETF
	DialectNone      = "none"      // Retry-After only
)

// Observation is what one upstream answer says about its quotas.
type Observation struct {
	At         time.Time     // when it was seen (the caller's now)
	Status     int           // HTTP status of the answer (0 if unknown)
	Dimensions []Dimension   // one per quota the headers describe
	RetryAfter time.Duration // from Retry-After or retry-after-ms; 0 if none
	Limited    bool          // the answer says the caller is being rate limited
}

// Dimension is one quota of an upstream as one answer reports it. Unknown
// counts are -1, an unknown reset time is the zero time, an unknown window 0.
type Dimension struct {
	// Name is GitHub's x-ratelimit-resource (core, search, graphql, ...;
	// "core" if absent); OpenAI/Azure "requests" or "tokens"; Anthropic
	// "requests", "tokens", "input-tokens" or "output-tokens"; IETF the
	// policy name ("default" when the headers carry none).
	Name      string
	Limit     int64         // the quota; -1 if unknown
	Remaining int64         // units left; -1 if unknown
	Used      int64         // units spent (GitHub only); -1 if unknown
	ResetAt   time.Time     // when the quota is replenished (UTC); zero if unknown
	Window    time.Duration // the policy window (IETF w=); 0 if unknown
}

// Parse reads the rate-limit headers of one answer in the given dialect
// (github, openai, anthropic, ietf or none; an unknown dialect reads like
// none). Every dialect reads Retry-After and retry-after-ms.
//
// Limited is set for a 429, and on GitHub also for a 403 that reports
// x-ratelimit-remaining: 0 (primary limit) or carries Retry-After (secondary
// limit): GitHub answers rate-limited requests with either status.
func Parse(dialect string, h http.Header, status int, now time.Time) Observation {
	o := Observation{At: now, Status: status, RetryAfter: ParseRetryAfter(h, now)}
	d := strings.ToLower(strings.TrimSpace(dialect))
	switch d {
	case DialectGitHub:
		o.Dimensions = ParseGitHub(h, now)
	case DialectOpenAI:
		o.Dimensions = ParseOpenAI(h, now)
	case DialectAnthropic:
		o.Dimensions = ParseAnthropic(h, now)
	case DialectIETF:
		o.Dimensions = ParseIETF(h, now)
	}
	o.Limited = status == http.StatusTooManyRequests
	if d == DialectGitHub && status == http.StatusForbidden {
		if o.RetryAfter > 0 {
			o.Limited = true
		}
		for _, dim := range o.Dimensions {
			if dim.Remaining == 0 {
				o.Limited = true
			}
		}
	}
	return o
}

// newDimension returns a dimension named name with every field unknown.
func newDimension(name string) Dimension {
	return Dimension{Name: name, Limit: -1, Remaining: -1, Used: -1}
}

// known reports whether any field of d was parsed; a dimension without one
// is dropped.
func (d Dimension) known() bool {
	return d.Limit >= 0 || d.Remaining >= 0 || d.Used >= 0 || !d.ResetAt.IsZero() || d.Window > 0
}

// headerValues returns every value of the named header, whatever the case of
// its key: observe requests carry headers as JSON maps, so keys need not be
// in canonical form.
func headerValues(h http.Header, name string) []string {
	if h == nil {
		return nil
	}
	ck := http.CanonicalHeaderKey(name)
	vs := h[ck]
	for k, v := range h {
		if k != ck && strings.EqualFold(k, name) {
			vs = append(vs[:len(vs):len(vs)], v...)
		}
	}
	return vs
}

// header returns the first non-empty value of the named header, trimmed.
func header(h http.Header, name string) string {
	for _, v := range headerValues(h, name) {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// headerList joins every value of a list-valued header with commas, as
// RFC 9110 allows a list to be split over several field lines.
func headerList(h http.Header, name string) string {
	return strings.Join(headerValues(h, name), ",")
}

// maxEpoch is 9999-12-31T23:59:59Z; a later reset time is malformed.
const maxEpoch = 253402300799

// parseCount parses a non-negative decimal integer. Signs, spaces inside,
// fractions and overflow are malformed.
func parseCount(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (1<<63-1-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseDecimal parses a non-negative decimal number such as "1", "0.5" or
// "634.2". Exponents, hex, NaN and infinities are malformed.
func parseDecimal(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return 0, false
		}
	}
	if digits == 0 || dots > 1 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// seconds converts a count of seconds, which may be fractional, to a
// duration; values too large for a time.Duration are malformed.
func seconds(s float64) (time.Duration, bool) {
	if s < 0 || s != s || s >= float64(math.MaxInt64)/float64(time.Second) {
		return 0, false
	}
	return time.Duration(s * float64(time.Second)), true
}

// epochSeconds converts Unix seconds to a UTC time.
func epochSeconds(n int64) (time.Time, bool) {
	if n < 0 || n > maxEpoch {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}
