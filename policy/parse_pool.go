package policy

import (
	"fmt"
	"strings"

	"github.com/ratelord/ratelord/quota"
	"gopkg.in/yaml.v3"
)

var (
	poolKeys = []string{"unit", "limit", "window", "algorithm", "burst", "limits",
		"concurrency", "per", "reserve", "upstream", "on_store_error"}
	limitKeys = []string{"limit", "window", "algorithm", "burst"}
)

// algorithms maps the names the policy file uses to quota's algorithms.
var algorithms = []struct {
	name string
	alg  quota.Algorithm
}{{"sliding", quota.Sliding}, {"fixed", quota.Fixed}, {"bucket", quota.Bucket}}

// pool parses the pool of entry e. ok is false when its limits are not all
// valid, so that route costs are not checked against it.
func (p *parser) pool(e entry) (pool *Pool, ok bool) {
	if !nameRE.MatchString(e.name) {
		p.addf(e.key, e.path, "bad pool name %q: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit", e.name)
	}
	pool = &Pool{Name: e.name, Unit: "requests", OnStoreError: "deny"}
	entries, ok := p.mapping(e.val, e.path, poolKeys)
	if !ok {
		return pool, false
	}
	var short []entry
	var limits *entry
	for _, f := range entries {
		switch f.name {
		case "limit", "window", "algorithm", "burst":
			short = append(short, f)
		case "limits":
			limits = &f
		case "unit":
			if s, ok := p.str(f); ok {
				pool.Unit = s
			}
		case "concurrency":
			pool.Concurrency, _ = p.positiveInt(f)
		case "per":
			if s, ok := p.str(f); ok {
				if s != "identity" {
					p.addf(f.val, f.path, "unknown value %q: per can only be identity", s)
				}
				pool.PerIdentity = s == "identity"
			}
		case "reserve":
			pool.Reserve = p.reserve(f)
		case "upstream":
			if s, ok := p.str(f); ok {
				pool.Upstream = s
				p.refs = append(p.refs, ref{upstream: s, e: f})
			}
		case "on_store_error":
			if s, ok := p.str(f); ok {
				if s != "deny" && s != "allow" {
					p.addf(f.val, f.path, "unknown value %q: use deny or allow", s)
				}
				pool.OnStoreError = s
			}
		}
	}
	switch {
	case limits != nil && len(short) > 0:
		names := make([]string, len(short))
		for i, s := range short {
			names[i] = s.name
		}
		p.addf(limits.key, limits.path, "cannot be combined with %s: give either one limit with limit and window, or a limits list", strings.Join(names, ", "))
		return pool, false
	case limits != nil:
		return pool, p.limitList(*limits, pool)
	case len(short) > 0:
		l, ok := p.limit(short, e.path, e.key)
		pool.Limits = []Limit{l}
		return pool, ok
	default:
		if !p.suggested[join(e.path, "limits")] {
			p.missing(e.key, e.path, "limit", "no limit: give limit and window, or a limits list")
		}
		return pool, false
	}
}

// limitList parses a pool's limits list into pool.Limits.
func (p *parser) limitList(e entry, pool *Pool) bool {
	v := resolve(e.val)
	if v.Kind != yaml.SequenceNode {
		p.addf(e.val, e.path, "must be a list of limits, got %s", describe(v))
		return false
	}
	if len(v.Content) == 0 {
		p.addf(e.val, e.path, "must hold at least one limit")
		return false
	}
	ok := true
	for i, item := range v.Content {
		path := fmt.Sprintf("%s[%d]", e.path, i)
		entries, isMap := p.mapping(item, path, limitKeys)
		if !isMap {
			ok = false
			continue
		}
		l, lok := p.limit(entries, path, item)
		pool.Limits = append(pool.Limits, l)
		ok = ok && lok
	}
	return ok
}

// limit parses one limit from its entries; at is where to report a missing
// limit or window.
func (p *parser) limit(entries []entry, path string, at *yaml.Node) (Limit, bool) {
	l := Limit{Algorithm: quota.Sliding}
	var haveLimit, haveWindow, algOK = false, false, true
	var burst entry
	ok := true
	for _, f := range entries {
		var fok bool
		switch f.name {
		case "limit":
			l.Limit, fok = p.positive(f)
			haveLimit = true
		case "window":
			l.Window, fok = p.duration(f)
			haveWindow = true
		case "algorithm":
			l.Algorithm, fok = p.algorithm(f)
			algOK = fok
		case "burst":
			l.Burst, fok = p.positive(f)
			burst = f
		}
		ok = ok && fok
	}
	if !haveLimit {
		p.missing(at, path, "limit", "missing limit (e.g. limit: 100)")
		ok = false
	}
	if !haveWindow {
		p.missing(at, path, "window", "missing window (e.g. window: 1h)")
		ok = false
	}
	if algOK && l.Algorithm != quota.Bucket && l.Limit > 0 && l.Burst > l.Limit {
		p.addf(burst.val, burst.path, "burst %d is larger than limit %d: a %s limit's burst must be at most its limit, or it could never smooth anything",
			l.Burst, l.Limit, l.Algorithm)
		ok = false
	}
	return l, ok
}

// algorithm parses an algorithm name.
func (p *parser) algorithm(e entry) (quota.Algorithm, bool) {
	s, ok := p.str(e)
	if !ok {
		return quota.Sliding, false
	}
	names := make([]string, len(algorithms))
	for i, x := range algorithms {
		if x.name == s {
			return x.alg, true
		}
		names[i] = x.name
	}
	p.addf(e.val, e.path, "unknown algorithm %q%s (use sliding, fixed or bucket)", s, didYouMean(s, names))
	return quota.Sliding, false
}

// reserve parses a pool's reserve: {low: 30%, normal: 10%}. A priority left
// out is held back as much as the next higher one, so {normal: 10%} holds
// 10% back from low too. The explicit values must not hold a lower priority
// back less than a higher one.
func (p *parser) reserve(e entry) [4]int64 {
	var r [4]int64
	entries, ok := p.mapping(e.val, e.path, nil)
	if !ok {
		return r
	}
	var set [4]*entry
	for _, f := range entries {
		switch f.name {
		case "low", "normal", "high":
			pr, _ := ParsePriority(f.name)
			if bp, ok := p.percentage(f); ok {
				r[pr] = bp
				set[pr] = &f
			}
		case "critical":
			p.addf(f.key, f.path, "critical cannot be reserved against: critical requests may always use the whole limit")
		default:
			p.addf(f.key, f.path, "unknown priority %q%s (reserve takes low, normal or high)",
				f.name, didYouMean(f.name, []string{"low", "normal", "high"}))
		}
	}
	// Compare each explicit value with the next explicit one above it:
	// that is enough to make the whole order hold once each is fixed.
	lower := Priority(0)
	for pr := Low; pr <= High; pr++ {
		if set[pr] == nil {
			continue
		}
		if lo := set[lower]; lo != nil && lower != pr && r[lower] < r[pr] {
			p.addf(lo.val, lo.path, "%s is held back less (%s) than %s (%s): a lower priority must be held back at least as much as a higher one",
				lower, formatBasisPoints(r[lower]), pr, formatBasisPoints(r[pr]))
		}
		lower = pr
	}
	if set[Normal] == nil {
		r[Normal] = r[High]
	}
	if set[Low] == nil {
		r[Low] = r[Normal]
	}
	return r
}
