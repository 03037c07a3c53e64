package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	upstreamKeys = []string{"url", "dialect", "token_env", "poll", "resources", "routes"}
	routeKeys    = []string{"path", "pools"}
)

// upstream parses the upstream of entry e.
func (p *parser) upstream(e entry) *Upstream {
	if !nameRE.MatchString(e.name) {
		p.addf(e.key, e.path, "bad upstream name %q: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit", e.name)
	}
	u := &Upstream{Name: e.name, Dialect: DialectNone}
	entries, ok := p.mapping(e.val, e.path, upstreamKeys)
	if !ok {
		return u
	}
	var poll *entry
	haveURL, dialectOK := false, true
	for _, f := range entries {
		switch f.name {
		case "url":
			haveURL = true
			if s, ok := p.str(f); ok && p.checkURL(f, s) {
				u.URL = s
			}
		case "dialect":
			if s, ok := p.str(f); ok {
				dialectOK = slices.Contains(Dialects, s)
				if !dialectOK {
					p.addf(f.val, f.path, "unknown dialect %q%s (use github, openai, anthropic, ietf or none)", s, didYouMean(s, Dialects))
				}
				u.Dialect = s
			} else {
				dialectOK = false
			}
		case "token_env":
			if s, ok := p.tokenEnv(f); ok {
				u.TokenEnv = s
				u.tokenEnvLine = f.val.Line
			}
		case "poll":
			if d, ok := p.duration(f); ok {
				u.Poll, poll = d, &f
			}
		case "resources":
			u.Resources = p.resources(f)
		case "routes":
			u.Routes = p.routes(f)
		}
	}
	if !haveURL {
		p.missing(e.key, e.path, "url", "missing url (e.g. url: https://api.github.com)")
	}
	switch {
	case poll == nil || !dialectOK:
	case u.Dialect != DialectGitHub:
		p.addf(poll.key, poll.path, "only dialect github can be polled (this upstream's dialect is %s)", u.Dialect)
	case u.Poll < time.Second:
		p.addf(poll.val, poll.path, "must be at least 1s, got %s", resolve(poll.val).Value)
	}
	return u
}

// resources parses an upstream's resources: upstream resource -> pool.
func (p *parser) resources(e entry) map[string]string {
	entries, ok := p.mapping(e.val, e.path, nil)
	if !ok {
		return nil
	}
	m := make(map[string]string, len(entries))
	for _, f := range entries {
		if s, ok := p.str(f); ok {
			m[f.name] = s
			p.refs = append(p.refs, ref{pool: s, e: f})
		}
	}
	return m
}

// routes parses an upstream's routes and reports routes that an earlier
// one shadows.
func (p *parser) routes(e entry) []Route {
	v := resolve(e.val)
	if v.Kind != yaml.SequenceNode {
		p.addf(e.val, e.path, "must be a list of routes, got %s", describe(v))
		return nil
	}
	var routes []Route
	var lines []int
	for i, item := range v.Content {
		path := fmt.Sprintf("%s[%d]", e.path, i)
		entries, ok := p.mapping(item, path, routeKeys)
		if !ok {
			continue
		}
		var r Route
		var pathEntry, poolsEntry *entry
		for _, f := range entries {
			switch f.name {
			case "path":
				pathEntry = &f
			case "pools":
				poolsEntry = &f
				r.Pools = p.routeCosts(f)
			}
		}
		if poolsEntry == nil {
			p.missing(item, path, "pools", "missing pools (use pools: {} for a route that costs nothing)")
		}
		if pathEntry == nil {
			p.missing(item, path, "path", "missing path (e.g. path: /)")
			continue
		}
		s, ok := p.str(*pathEntry)
		if !ok {
			continue
		}
		if !strings.HasPrefix(s, "/") {
			p.addf(pathEntry.val, pathEntry.path, "must start with /, got %q", s)
			continue
		}
		r.Path = s
		for j, earlier := range routes {
			if earlier.Matches(s) {
				p.addf(pathEntry.val, pathEntry.path, "route can never match: the route at line %d (path %s) comes first and matches every path under %s", lines[j], earlier.Path, s)
				break
			}
		}
		routes = append(routes, r)
		lines = append(lines, resolve(item).Line)
	}
	return routes
}

// routeCosts parses a route's pools: pool -> cost or estimate.
func (p *parser) routeCosts(e entry) []RouteCost {
	entries, ok := p.mapping(e.val, e.path, nil)
	if !ok {
		return nil
	}
	costs := []RouteCost{}
	for _, f := range entries {
		rc := RouteCost{Pool: f.name}
		v := resolve(f.val)
		switch {
		case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value == "estimate":
			rc.Estimate = true
		case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int":
			if err := v.Decode(&rc.Cost); err != nil || rc.Cost <= 0 {
				p.addf(f.val, f.path, "cost must be a positive whole number or estimate, got %s", v.Value)
				continue
			}
		default:
			p.addf(f.val, f.path, "cost must be a positive whole number or estimate, got %s", describe(v))
			continue
		}
		costs = append(costs, rc)
		p.refs = append(p.refs, ref{pool: f.name, cost: rc.Cost, e: f, key: true})
	}
	return costs
}
