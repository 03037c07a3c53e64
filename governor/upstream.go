package governor

import (
	"github.com/ratelord/ratelord/upstream"
)

// ObserveUpstream applies what one answer of upstream name said to the pools
// it maps to: each dimension goes to the pool its `resources` entry names;
// with no entry, a single dimension goes to the single pool whose
// `upstream` is name. A refusal (429) holds every pool the answer maps to,
// or, when no dimension maps, every pool of that upstream. It returns the
// pools it corrected.
func (g *Governor) ObserveUpstream(name, identity, source string, o upstream.Observation) ([]string, error) {
	pol := g.CurrentPolicy()
	u := pol.Upstream(name)
	if u == nil {
		return nil, Errorf(ErrUnknownUpstream, "unknown upstream %q: name one of the policy's upstreams", name)
	}
	var own []string // pools that name this upstream
	for _, p := range pol.Pools {
		if p.Upstream == name {
			own = append(own, p.Name)
		}
	}
	var touched []string
	for _, d := range o.Dimensions {
		pool := u.Resources[d.Name]
		if pool == "" && len(u.Resources) == 0 && len(o.Dimensions) == 1 && len(own) == 1 {
			pool = own[0]
		}
		if pool == "" {
			continue
		}
		ob := Observation{Pool: pool, Identity: identity, Limit: d.Limit, Remaining: d.Remaining, ResetAt: d.ResetAt,
			Limited: o.Limited, RetryAfter: o.RetryAfter, Status: o.Status, Source: source}
		if err := g.Observe(ob); err != nil {
			return touched, err
		}
		touched = append(touched, pool)
	}
	if o.Limited && len(touched) == 0 {
		for _, pool := range own {
			ob := Observation{Pool: pool, Identity: identity, Limit: -1, Remaining: -1, Limited: true, RetryAfter: o.RetryAfter, Status: o.Status, Source: source}
			if err := g.Observe(ob); err != nil {
				return touched, err
			}
			touched = append(touched, pool)
		}
	}
	return touched, nil
}
