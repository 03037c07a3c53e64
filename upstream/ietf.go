package upstream

import (
	"net/http"
	"time"
)

// ietfDefault names the quota of the IETF forms that carry no policy name.
const ietfDefault = "default"

// epochThreshold separates a delta in seconds from a Unix timestamp in an
// old-style RateLimit-Reset: no real delta is 31 years long, and some
// servers send a timestamp there.
const epochThreshold = 1_000_000_000

// ParseIETF reads the IETF RateLimit header fields
// (draft-ietf-httpapi-ratelimit-headers) in the syntaxes met in practice:
//
//   - -09 and later: RateLimit: "default";r=50;t=30 with
//     RateLimit-Policy: "default";q=100;w=60 (Lists of named items, joined
//     by name; other parameters such as qu and pk are ignored);
//   - -08: the same with unquoted names, and l= for the limit;
//   - -07: RateLimit: limit=100, remaining=50, reset=30 with
//     RateLimit-Policy: 100;w=60;
//   - -06 and earlier: RateLimit-Limit: 100 (or 100, 100;w=60),
//     RateLimit-Remaining: 50, RateLimit-Reset: 30 (seconds), optionally
//     RateLimit-Policy: 10;w=1, 100;w=60.
//
// Resets are delta seconds from now (an old RateLimit-Reset of 10^9 or more
// is read as a Unix timestamp). Unnamed quotas are named "default".
func ParseIETF(h http.Header, now time.Time) []Dimension {
	var c ietfCollector
	var windows []sfMember // unnamed policies: 100;w=60
	for _, m := range parseSF(headerList(h, "RateLimit-Policy")) {
		switch {
		case m.isNum && m.key == "":
			windows = append(windows, m)
		case m.key == "":
			d := c.dim(m.name)
			setCount(&d.Limit, m.params["q"])
			setWindow(&d.Window, m.params["w"])
		}
	}
	for _, m := range parseSF(headerList(h, "RateLimit")) {
		switch m.key {
		case "":
			if m.isNum {
				continue
			}
			d := c.dim(m.name)
			setCount(&d.Remaining, m.params["r"])
			setCount(&d.Limit, m.params["l"])
			setDelta(&d.ResetAt, m.params["t"], now)
		case "limit", "remaining", "reset":
			if !m.isNum {
				continue
			}
			d := c.dim(ietfDefault)
			switch {
			case m.key == "limit" && d.Limit < 0:
				d.Limit = m.num
			case m.key == "remaining" && d.Remaining < 0:
				d.Remaining = m.num
			case m.key == "reset" && d.ResetAt.IsZero():
				if delta, ok := seconds(float64(m.num)); ok {
					d.ResetAt = now.Add(delta).UTC()
				}
			}
		}
	}
	if limits := parseSF(headerList(h, "RateLimit-Limit")); len(limits) > 0 && limits[0].isNum && limits[0].key == "" {
		d := c.dim(ietfDefault)
		if d.Limit < 0 {
			d.Limit = limits[0].num
		}
		setWindow(&d.Window, limits[0].params["w"])
		windows = append(windows, limits[1:]...)
	}
	if rem, ok := parseCount(header(h, "RateLimit-Remaining")); ok {
		if d := c.dim(ietfDefault); d.Remaining < 0 {
			d.Remaining = rem
		}
	}
	if reset := header(h, "RateLimit-Reset"); reset != "" {
		d := c.dim(ietfDefault)
		if n, ok := parseCount(reset); ok && n >= epochThreshold {
			if t, ok := epochSeconds(n); ok && d.ResetAt.IsZero() {
				d.ResetAt = t
			}
		} else {
			setDelta(&d.ResetAt, reset, now)
		}
	}
	if d := c.find(ietfDefault); d != nil {
		if d.Limit < 0 && len(windows) == 1 && windows[0].isNum && windows[0].key == "" {
			d.Limit = windows[0].num // -07: RateLimit-Policy: 100;w=60 is the only quota
		}
		if d.Window == 0 {
			d.Window = matchWindow(windows, d.Limit)
		}
	}
	return c.result()
}

// matchWindow picks the window of the unnamed policy whose quota equals
// limit, or of the only unnamed policy there is.
func matchWindow(policies []sfMember, limit int64) time.Duration {
	var w time.Duration
	for _, p := range policies {
		if !p.isNum || p.key != "" {
			continue
		}
		if p.num == limit || len(policies) == 1 {
			setWindow(&w, p.params["w"])
			if w > 0 {
				return w
			}
		}
	}
	return 0
}

// ietfCollector gathers dimensions by name, in order of first mention.
type ietfCollector struct{ dims []*Dimension }

// dim returns the dimension named name, adding it if it is new.
func (c *ietfCollector) dim(name string) *Dimension {
	if name == "" {
		name = ietfDefault
	}
	if d := c.find(name); d != nil {
		return d
	}
	d := newDimension(name)
	c.dims = append(c.dims, &d)
	return &d
}

// find returns the dimension named name, or nil.
func (c *ietfCollector) find(name string) *Dimension {
	for _, d := range c.dims {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// result returns the dimensions that carry something.
func (c *ietfCollector) result() []Dimension {
	var out []Dimension
	for _, d := range c.dims {
		if d.known() {
			out = append(out, *d)
		}
	}
	return out
}

// setCount sets *dst from a count, unless it is already known or s is
// malformed.
func setCount(dst *int64, s string) {
	if n, ok := parseCount(s); ok && *dst < 0 {
		*dst = n
	}
}

// setWindow sets *dst from a positive number of seconds, unless it is
// already known or s is malformed.
func setWindow(dst *time.Duration, s string) {
	if f, ok := parseDecimal(s); ok && f > 0 && *dst == 0 {
		if w, ok := seconds(f); ok {
			*dst = w
		}
	}
}

// setDelta sets *dst to now plus s seconds, unless it is already known or s
// is malformed.
func setDelta(dst *time.Time, s string, now time.Time) {
	if f, ok := parseDecimal(s); ok && dst.IsZero() {
		if d, ok := seconds(f); ok {
			*dst = now.Add(d).UTC()
		}
	}
}
