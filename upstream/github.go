package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ParseGitHub reads GitHub's x-ratelimit-limit, -remaining, -used, -reset
// (epoch seconds) and -resource headers. It returns one dimension named
// after the resource ("core" if the header is absent), or none when no
// count or reset parses.
func ParseGitHub(h http.Header, now time.Time) []Dimension {
	name := header(h, "x-ratelimit-resource")
	if name == "" {
		name = "core"
	}
	d := newDimension(name)
	if n, ok := parseCount(header(h, "x-ratelimit-limit")); ok {
		d.Limit = n
	}
	if n, ok := parseCount(header(h, "x-ratelimit-remaining")); ok {
		d.Remaining = n
	}
	if n, ok := parseCount(header(h, "x-ratelimit-used")); ok {
		d.Used = n
	}
	if n, ok := parseCount(header(h, "x-ratelimit-reset")); ok {
		d.ResetAt, _ = epochSeconds(n)
	}
	if !d.known() {
		return nil
	}
	return []Dimension{d}
}

// ParseRateLimitBody reads the JSON body of GitHub's GET /rate_limit:
// {"resources": {"core": {"limit", "remaining", "reset", "used"}, ...},
// "rate": {...}}. It returns one dimension per resource, sorted by name.
// The deprecated "rate" object duplicates "core" and is read only when
// "resources" is missing. A field that does not parse is unknown; an error
// means the body is not JSON or describes no resource at all.
func ParseRateLimitBody(body []byte, now time.Time) ([]Dimension, error) {
	var doc struct {
		Resources map[string]json.RawMessage `json:"resources"`
		Rate      json.RawMessage            `json:"rate"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decode rate_limit body: %w", err)
	}
	if len(doc.Resources) == 0 && len(doc.Rate) > 0 {
		doc.Resources = map[string]json.RawMessage{"core": doc.Rate}
	}
	var dims []Dimension
	for name, raw := range doc.Resources {
		if d, ok := parseResource(name, raw); ok {
			dims = append(dims, d)
		}
	}
	if len(dims) == 0 {
		return nil, errors.New("decode rate_limit body: no resources")
	}
	slices.SortFunc(dims, func(a, b Dimension) int { return strings.Compare(a.Name, b.Name) })
	return dims, nil
}

// parseResource reads one {"limit", "remaining", "reset", "used"} object,
// field by field, so that one odd value does not hide the others.
func parseResource(name string, raw json.RawMessage) (Dimension, bool) {
	var fields map[string]json.RawMessage
	if name == "" || json.Unmarshal(raw, &fields) != nil {
		return Dimension{}, false
	}
	d := newDimension(name)
	if n, ok := jsonCount(fields["limit"]); ok {
		d.Limit = n
	}
	if n, ok := jsonCount(fields["remaining"]); ok {
		d.Remaining = n
	}
	if n, ok := jsonCount(fields["used"]); ok {
		d.Used = n
	}
	if n, ok := jsonCount(fields["reset"]); ok {
		d.ResetAt, _ = epochSeconds(n)
	}
	return d, d.known()
}

// jsonCount reads a JSON number that is a non-negative integer, also when
// it is written as 5000.0 or 5e3.
func jsonCount(raw json.RawMessage) (int64, bool) {
	s := string(bytes.TrimSpace(raw))
	if n, ok := parseCount(s); ok {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f >= 1<<63 || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}
