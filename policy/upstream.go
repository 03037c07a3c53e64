package policy

import (
	"strings"
	"time"
)

// The header dialects an upstream may speak, as written in the policy file.
// The dialect says how to read the upstream's rate-limit headers and how to
// send it the token.
const (
	// DialectGitHub reads x-ratelimit-*; the token goes in Authorization.
	// Only GitHub can be polled (/rate_limit).
	DialectGitHub = "github"
	// DialectOpenAI reads x-ratelimit-(limit|remaining|reset)-(requests|tokens);
	// the token goes in Authorization.
	DialectOpenAI = "openai"
	// DialectAnthropic reads anthropic-ratelimit-*; the token goes in
	// x-api-key.
	DialectAnthropic = "anthropic"
	// DialectIETF reads RateLimit and RateLimit-Policy (and the older
	// RateLimit-Limit/Remaining/Reset).
	DialectIETF = "ietf"
	// DialectNone reads no rate-limit headers beyond Retry-After. It is the
	// default.
	DialectNone = "none"
)

// Dialects lists the dialects in the order error messages name them.
var Dialects = []string{DialectGitHub, DialectOpenAI, DialectAnthropic, DialectIETF, DialectNone}

// Upstream is an API the daemon can stand in front of as a reverse proxy.
type Upstream struct {
	// Name is the upstream's name, used in /proxy/<name>/...
	Name string
	// URL is an absolute http or https URL without credentials.
	URL string
	// Dialect is one of Dialects; default DialectNone.
	Dialect string
	// TokenEnv names the environment variable that holds the API token, or
	// is empty for an upstream that needs none. It is never the token.
	TokenEnv string
	// Poll is how often to poll GitHub's /rate_limit; 0 means never. Only
	// set for dialect github, and then at least one second.
	Poll time.Duration
	// Resources maps an upstream resource or dimension (as the upstream's
	// headers name it) to the pool it corrects.
	Resources map[string]string
	// Routes are tried in order; the first match wins.
	Routes []Route

	tokenEnvLine int // for CheckEnv's findings
}

// Route returns the first route whose path matches path (the path after
// /proxy/<name>), or nil if none does. See Route.Matches.
func (u *Upstream) Route(path string) *Route {
	for i := range u.Routes {
		if u.Routes[i].Matches(path) {
			return &u.Routes[i]
		}
	}
	return nil
}

// Route says which pools a request to a path prefix draws from.
type Route struct {
	// Path is a prefix of the path after /proxy/<upstream>; it starts with /.
	Path string
	// Pools are the costs to acquire, in file order. An empty list means
	// the route costs nothing.
	Pools []RouteCost
}

// Matches reports whether path falls under the route. Matching is by whole
// path segments: /v1/chat matches /v1/chat and /v1/chat/completions but not
// /v1/chatter; a route path ending in / matches everything below it, so /
// matches every path.
func (r *Route) Matches(path string) bool {
	if path == r.Path || strings.HasSuffix(r.Path, "/") && strings.HasPrefix(path, r.Path) {
		return true
	}
	return strings.HasPrefix(path, r.Path+"/")
}

// RouteCost is what a route charges one pool per request.
type RouteCost struct {
	// Pool names a pool of the policy.
	Pool string
	// Cost is the units to acquire; positive unless Estimate is set.
	Cost int64
	// Estimate is set for `estimate` in place of a number: the proxy
	// estimates the cost from the request and settles it from the response.
	Estimate bool
}
