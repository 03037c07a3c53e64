package policy

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// checkRefs checks, once every pool and upstream is known, that references
// name existing ones and that route costs can fit their pools.
func (p *parser) checkRefs() {
	for _, r := range p.refs {
		at := r.e.val
		if r.key {
			at = r.e.key
		}
		if r.upstream != "" {
			if !p.upstreams[r.upstream] {
				p.addf(at, r.e.path, "unknown upstream %q%s", r.upstream, p.known(r.upstream, p.upstreamNames, "upstreams"))
			}
			continue
		}
		info := p.pools[r.pool]
		if info == nil {
			p.addf(at, r.e.path, "unknown pool %q%s", r.pool, p.known(r.pool, p.poolNames, "pools"))
			continue
		}
		if c := info.pool.Capacity(); info.ok && r.cost > c {
			p.addf(r.e.val, r.e.path, "cost %d can never fit pool %s: %s", r.cost, r.pool, capacityReason(info.pool, c))
		}
	}
}

// known completes an "unknown X" finding: the likely typo, or the names
// there are.
func (p *parser) known(name string, names []string, what string) string {
	if hint := didYouMean(name, names); hint != "" {
		return hint
	}
	if len(names) == 0 {
		return fmt.Sprintf(": the policy defines no %s", what)
	}
	return fmt.Sprintf(" (%s: %s)", what, joinNames(names))
}

// joinNames lists names, shortened past a handful.
func joinNames(names []string) string {
	const most = 8
	if len(names) > most {
		return strings.Join(names[:most], ", ") + fmt.Sprintf(" and %d more", len(names)-most)
	}
	return strings.Join(names, ", ")
}

// capacityReason says why a single grant can take at most c units of pool.
func capacityReason(pool *Pool, c int64) string {
	for _, l := range pool.Limits {
		if l.Capacity() != c {
			continue
		}
		if l.Burst > 0 {
			return fmt.Sprintf("its burst of %d %s is the most one request can take", c, pool.Unit)
		}
		return fmt.Sprintf("its limit of %d %s per %s is the most one request can take", c, pool.Unit, formatDuration(l.Window))
	}
	return fmt.Sprintf("one request can take at most %d %s", c, pool.Unit)
}

// checkURL reports a url that is not an absolute http(s) URL. It never
// repeats the url, which might carry credentials.
func (p *parser) checkURL(e entry, s string) bool {
	u, err := url.Parse(s)
	switch {
	case err == nil && u.User != nil:
		p.addf(e.val, e.path, "must not carry credentials: name the environment variable that holds the token in token_env")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.addf(e.val, e.path, "must be an absolute http or https URL, such as https://api.github.com")
	default:
		return true
	}
	return false
}

// envNameRE is what an environment variable's name must match.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretPrefixes start well-known API tokens (OpenAI and Anthropic, GitHub,
// GitLab, Slack, AWS access keys).
var secretPrefixes = []string{"sk-", "sk_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "AKIA", "Bearer ", "bearer "}

// tokenEnv parses token_env, which must name an environment variable. No
// finding repeats its value, which may be a secret pasted by mistake.
func (p *parser) tokenEnv(e entry) (string, bool) {
	v := resolve(e.val)
	const want = "must be the name of an environment variable, such as GITHUB_TOKEN"
	switch {
	case v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || v.Value == "":
		p.addf(e.val, e.path, "%s", want)
	case looksLikeSecret(v.Value):
		p.addf(e.val, e.path, "this looks like a secret: put the name of the environment variable that holds the token here (such as GITHUB_TOKEN), never the token itself")
	case !envNameRE.MatchString(v.Value):
		p.addf(e.val, e.path, "%s (letters, digits and _, not starting with a digit)", want)
	default:
		return v.Value, true
	}
	return "", false
}

// looksLikeSecret reports whether s looks like a token rather than the name
// of a variable: a known token prefix, or a long run mixing lowercase
// letters and digits, which variable names seldom are.
func looksLikeSecret(s string) bool {
	for _, prefix := range secretPrefixes {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	if len(s) <= 30 {
		return false
	}
	lower := strings.IndexFunc(s, unicode.IsLower) >= 0
	digit := strings.IndexFunc(s, unicode.IsDigit) >= 0
	return lower && digit
}

// CheckEnv reports each upstream whose token_env names a variable that is
// unset or empty according to getenv (os.Getenv when nil). The findings name
// the variable, never its value. Parse does not check the environment, since
// the daemon reads the variables when it proxies, not when it loads the file.
func CheckEnv(p *Policy, getenv func(string) string) Findings {
	if getenv == nil {
		getenv = os.Getenv
	}
	var fs Findings
	for _, u := range p.Upstreams {
		if u.TokenEnv == "" || getenv(u.TokenEnv) != "" {
			continue
		}
		fs = append(fs, Finding{
			File:    p.Source,
			Line:    u.tokenEnvLine,
			Key:     fmt.Sprintf("upstreams.%s.token_env", u.Name),
			Message: fmt.Sprintf("environment variable %s is unset or empty: requests proxied to %s will carry no token", u.TokenEnv, u.Name),
		})
	}
	return fs
}
