package proxy

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/upstream"
)

// prepare reads everything a request needs before quota is asked for: its
// upstream and route, the Ratelord-* headers, the token and, for routes
// with an estimate, the body. It always returns a call (for the log line);
// an error is answered to the client.
func (p *Proxy) prepare(r *http.Request) (*call, error) {
	c := &call{p: p}
	pol := p.Governor.CurrentPolicy()
	name, rawRest := splitPath(r.URL)
	var err error
	if c.up = pol.Upstream(name); c.up == nil {
		return c, unknownUpstream(pol, name)
	}
	if c.target, err = url.Parse(c.up.URL); err != nil {
		return c, governor.Errorf(governor.ErrInternal, "upstream %s: parse url: %v", c.up.Name, err)
	}
	if c.rest, err = url.PathUnescape(rawRest); err != nil {
		return c, governor.Errorf(governor.ErrInvalid, "the path %s is not validly escaped: %v", rawRest, err)
	}
	c.rawRest = rawRest
	if dotSegment(c.rest) {
		return c, governor.Errorf(governor.ErrInvalid, "the path %s holds a . or .. segment: send the resolved path", c.rest)
	}
	if c.route = c.up.Route(c.rest); c.route == nil {
		return c, noRoute(c.up, c.rest)
	}
	if c.req, err = p.parseHeaders(r.Header); err != nil {
		return c, err
	}
	var body []byte
	if hasEstimate(c.route) {
		if body, err = p.readBody(r); err != nil {
			return c, err
		}
	}
	if c.token, err = p.token(c.up); err != nil {
		return c, err
	}
	c.costs(pol, body)
	return c, nil
}

// splitPath returns the upstream name and the rest of the path, still
// escaped and starting with /, of a request under Prefix. A path outside
// Prefix names no upstream.
func splitPath(u *url.URL) (name, rawRest string) {
	tail, ok := strings.CutPrefix(u.EscapedPath(), Prefix)
	if !ok {
		return "", "/"
	}
	esc, rest, _ := strings.Cut(tail, "/")
	name, err := url.PathUnescape(esc)
	if err != nil {
		name = esc
	}
	return name, "/" + rest
}

// dotSegment reports whether path has a . or .. segment, which would let a
// request match one route and reach a path of another.
func dotSegment(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

func unknownUpstream(pol *policy.Policy, name string) error {
	if len(pol.Upstreams) == 0 {
		return governor.Errorf(governor.ErrUnknownUpstream, "unknown upstream %q: the policy has no upstreams; add one under upstreams: to proxy it", name)
	}
	names := make([]string, len(pol.Upstreams))
	for i, u := range pol.Upstreams {
		names[i] = u.Name
	}
	return governor.Errorf(governor.ErrUnknownUpstream, "unknown upstream %q: use %s{upstream}/{path} with one of the policy's upstreams: %s", name, Prefix, strings.Join(names, ", "))
}

func noRoute(u *policy.Upstream, path string) error {
	if len(u.Routes) == 0 {
		return governor.Errorf(ErrNoRoute, "upstream %s has no routes, so nothing is proxied: add routes to upstreams.%s in the policy (path: / matches every path)", u.Name, u.Name)
	}
	paths := make([]string, len(u.Routes))
	for i, rt := range u.Routes {
		paths[i] = rt.Path
	}
	return governor.Errorf(ErrNoRoute, "no route of upstream %s matches %s: the policy routes %s; add a route to upstreams.%s.routes to proxy it", u.Name, path, strings.Join(paths, ", "), u.Name)
}

// costs fills c.req.Pools from the route, in route order: fixed costs as
// written, `estimate` costs from the body, clamped to the most the pool lets
// this priority take at once.
func (c *call) costs(pol *policy.Policy, body []byte) {
	estimate := int64(-1)
	var clamped []string
	for _, rc := range c.route.Pools {
		units := rc.Cost
		if rc.Estimate {
			if estimate < 0 {
				estimate = upstream.EstimateTokens(body)
			}
			units = estimate
			if def := pol.Pool(rc.Pool); def != nil {
				if most := mostAtOnce(def, c.req.Priority); units > most {
					units = most
					clamped = append(clamped, fmt.Sprintf("%q;estimate=%d;charged=%d", rc.Pool, estimate, most))
				}
			}
			c.estimated = append(c.estimated, rc.Pool)
		}
		c.req.Pools = append(c.req.Pools, governor.Cost{Pool: rc.Pool, Units: units})
	}
	c.clamped = strings.Join(clamped, ", ")
}

// mostAtOnce returns the most units one grant of priority pr can take from
// pool def: the smallest of its limits' maximum costs for pr's share.
func mostAtOnce(def *policy.Pool, pr policy.Priority) int64 {
	most := int64(-1)
	for _, l := range def.Limits {
		if m := l.Quota().MaxCost(def.Share(pr)); most < 0 || m < most {
			most = m
		}
	}
	return max(most, 0)
}

// hasEstimate reports whether any pool of rt costs `estimate`.
func hasEstimate(rt *policy.Route) bool {
	for _, rc := range rt.Pools {
		if rc.Estimate {
			return true
		}
	}
	return false
}
