package policy_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratelord/ratelord/policy"
)

// invalidFixtures lists, for every testdata/invalid-* file, the exact
// findings Load reports, in order.
var invalidFixtures = []struct {
	file string
	want []string
}{
	{"invalid-bad-duration.yaml", []string{
		`testdata/invalid-bad-duration.yaml:4: pools.github-core.window: bad duration "1x": use a Go duration such as 30s, 1m, 1h or 24h`,
	}},
	{"invalid-burst-over-limit.yaml", []string{
		`testdata/invalid-burst-over-limit.yaml:5: pools.sliding.burst: burst 200 is larger than limit 100: a sliding limit's burst must be at most its limit, or it could never smooth anything`,
		`testdata/invalid-burst-over-limit.yaml:8: pools.fixed.limits[0].burst: burst 11 is larger than limit 10: a fixed limit's burst must be at most its limit, or it could never smooth anything`,
	}},
	{"invalid-cost-never-fits.yaml", []string{
		`testdata/invalid-cost-never-fits.yaml:11: upstreams.api.routes[0].pools.small: cost 11 can never fit pool small: its limit of 10 requests per 1m is the most one request can take`,
		`testdata/invalid-cost-never-fits.yaml:11: upstreams.api.routes[0].pools.smooth: cost 21 can never fit pool smooth: its burst of 20 requests is the most one request can take`,
	}},
	{"invalid-dialect.yaml", []string{
		`testdata/invalid-dialect.yaml:6: upstreams.gitlab.dialect: unknown dialect "gitlab" (use github, openai, anthropic, ietf or none)`,
		`testdata/invalid-dialect.yaml:9: upstreams.typo.dialect: unknown dialect "opanai"; did you mean "openai"? (use github, openai, anthropic, ietf or none)`,
	}},
	{"invalid-duplicate-key.yaml", []string{
		`testdata/invalid-duplicate-key.yaml:5: pools.demo.limit: duplicate key "limit" (first at line 3)`,
		`testdata/invalid-duplicate-key.yaml:6: pools.demo: duplicate key "demo" (first at line 2)`,
	}},
	{"invalid-duration-days.yaml", []string{
		`testdata/invalid-duration-days.yaml:4: pools.daily.window: bad duration "1d": Go durations have no "d" unit: use e.g. 24h`,
		`testdata/invalid-duration-days.yaml:7: pools.weekly.window: bad duration "2w": Go durations have no "w" unit: use e.g. 336h`,
		`testdata/invalid-duration-days.yaml:10: pools.unitless.window: bad duration "60": a duration needs a unit: use e.g. 60s`,
	}},
	{"invalid-empty-file.yaml", []string{
		`testdata/invalid-empty-file.yaml: pools: no pools: a policy needs at least one pool`,
	}},
	{"invalid-empty-unit.yaml", []string{
		`testdata/invalid-empty-unit.yaml:3: pools.demo.unit: must not be empty`,
		`testdata/invalid-empty-unit.yaml:7: pools.null-unit.unit: must not be empty`,
	}},
	{"invalid-many.json", []string{
		`testdata/invalid-many.json:4: pools.demo.limit: must be a whole number, got string "10"`,
		`testdata/invalid-many.json:5: pools.demo.window: bad duration "1d": Go durations have no "d" unit: use e.g. 24h`,
		`testdata/invalid-many.json:6: pools.demo.algoritm: unknown key "algoritm"; did you mean "algorithm"?`,
		`testdata/invalid-many.json:10: pools.api.limits[0].burst: burst 500 is larger than limit 100: a sliding limit's burst must be at most its limit, or it could never smooth anything`,
		`testdata/invalid-many.json:12: pools.api.reserve.low: low is held back less (5%) than normal (10%): a lower priority must be held back at least as much as a higher one`,
		`testdata/invalid-many.json:13: pools.api.upstream: unknown upstream "openai" (upstreams: github)`,
		`testdata/invalid-many.json:18: upstreams.github.routes[0].pools.nope: unknown pool "nope" (pools: demo, api)`,
	}},
	{"invalid-missing-window.yaml", []string{
		`testdata/invalid-missing-window.yaml:2: pools.demo: missing window (e.g. window: 1h)`,
		`testdata/invalid-missing-window.yaml:7: pools.listed.limits[1]: missing window (e.g. window: 1h)`,
		`testdata/invalid-missing-window.yaml:8: pools.no-limit: missing limit (e.g. limit: 100)`,
	}},
	{"invalid-no-limit.yaml", []string{
		`testdata/invalid-no-limit.yaml:2: pools.demo: no limit: give limit and window, or a limits list`,
		`testdata/invalid-no-limit.yaml:5: pools.empty-list.limits: must hold at least one limit`,
	}},
	{"invalid-no-pools.yaml", []string{
		`testdata/invalid-no-pools.yaml:1: pools: no pools: a policy needs at least one pool`,
	}},
	{"invalid-nonpositive-window.yaml", []string{
		`testdata/invalid-nonpositive-window.yaml:4: pools.zero.window: must be positive, got 0s`,
		`testdata/invalid-nonpositive-window.yaml:7: pools.negative.window: must be positive, got -1m`,
	}},
	{"invalid-not-mapping.yaml", []string{
		`testdata/invalid-not-mapping.yaml:1: a policy must be a mapping with pools and upstreams, got a list`,
	}},
	{"invalid-on-store-error.yaml", []string{
		`testdata/invalid-on-store-error.yaml:5: pools.demo.on_store_error: unknown value "ignore": use deny or allow`,
	}},
	{"invalid-per.yaml", []string{
		`testdata/invalid-per.yaml:3: pools.demo.per: unknown value "user": per can only be identity`,
	}},
	{"invalid-poll.yaml", []string{
		`testdata/invalid-poll.yaml:7: upstreams.openai.poll: only dialect github can be polled (this upstream's dialect is openai)`,
		`testdata/invalid-poll.yaml:11: upstreams.github.poll: must be at least 1s, got 500ms`,
	}},
	{"invalid-pool-name.yaml", []string{
		`testdata/invalid-pool-name.yaml:2: pools.GitHub: bad pool name "GitHub": use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit`,
		`testdata/invalid-pool-name.yaml:5: pools.-dash: bad pool name "-dash": use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit`,
		`testdata/invalid-pool-name.yaml:8: pools.with space: bad pool name "with space": use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit`,
	}},
	{"invalid-reserve-critical.yaml", []string{
		`testdata/invalid-reserve-critical.yaml:5: pools.demo.reserve.critical: critical cannot be reserved against: critical requests may always use the whole limit`,
	}},
	{"invalid-reserve-key.yaml", []string{
		`testdata/invalid-reserve-key.yaml:6: pools.demo.reserve.lo: unknown priority "lo"; did you mean "low"? (reserve takes low, normal or high)`,
		`testdata/invalid-reserve-key.yaml:7: pools.demo.reserve.urgent: unknown priority "urgent" (reserve takes low, normal or high)`,
	}},
	{"invalid-reserve-order.yaml", []string{
		`testdata/invalid-reserve-order.yaml:5: pools.demo.reserve.low: low is held back less (10%) than normal (20%): a lower priority must be held back at least as much as a higher one`,
		`testdata/invalid-reserve-order.yaml:9: pools.all-upside-down.reserve.low: low is held back less (5%) than normal (10%): a lower priority must be held back at least as much as a higher one`,
		`testdata/invalid-reserve-order.yaml:9: pools.all-upside-down.reserve.normal: normal is held back less (10%) than high (20%): a lower priority must be held back at least as much as a higher one`,
		`testdata/invalid-reserve-order.yaml:13: pools.gap.reserve.low: low is held back less (5%) than high (10%): a lower priority must be held back at least as much as a higher one`,
	}},
	{"invalid-reserve-percentage.yaml", []string{
		`testdata/invalid-reserve-percentage.yaml:6: pools.demo.reserve.low: bad percentage "10": use a percentage such as 10% or 12.5%`,
		`testdata/invalid-reserve-percentage.yaml:7: pools.demo.reserve.normal: bad percentage "12.345%": use at most two decimals, such as 12.5% or 12.25%`,
		`testdata/invalid-reserve-percentage.yaml:8: pools.demo.reserve.high: 100% must be below 100%: holding back the whole limit would shut the priority out`,
		`testdata/invalid-reserve-percentage.yaml:12: pools.negative.reserve.low: bad percentage "-5%": use a percentage such as 10% or 12.5%`,
	}},
	{"invalid-resources-unknown-pool.yaml", []string{
		`testdata/invalid-resources-unknown-pool.yaml:8: upstreams.github.resources.core: unknown pool "github-cor"; did you mean "github-core"?`,
		`testdata/invalid-resources-unknown-pool.yaml:9: upstreams.github.resources.search: unknown pool "github-search" (pools: github-core)`,
	}},
	{"invalid-route-cost.yaml", []string{
		`testdata/invalid-route-cost.yaml:9: upstreams.api.routes[0].pools.a: cost must be a positive whole number or estimate, got 0`,
		`testdata/invalid-route-cost.yaml:9: upstreams.api.routes[0].pools.b: cost must be a positive whole number or estimate, got -1`,
		`testdata/invalid-route-cost.yaml:9: upstreams.api.routes[0].pools.c: cost must be a positive whole number or estimate, got string "lots"`,
	}},
	{"invalid-route-unknown-pool.yaml", []string{
		`testdata/invalid-route-unknown-pool.yaml:9: upstreams.openai.routes[0].pools.openai-tokens: unknown pool "openai-tokens" (pools: openai-requests)`,
	}},
	{"invalid-route-unreachable.yaml", []string{
		`testdata/invalid-route-unreachable.yaml:8: upstreams.api.routes[1].path: route can never match: the route at line 7 (path /v1) comes first and matches every path under /v1/chat`,
		`testdata/invalid-route-unreachable.yaml:10: upstreams.api.routes[3].path: must start with /, got "v2"`,
		`testdata/invalid-route-unreachable.yaml:11: upstreams.api.routes[4]: missing path (e.g. path: /)`,
		`testdata/invalid-route-unreachable.yaml:12: upstreams.api.routes[5]: missing pools (use pools: {} for a route that costs nothing)`,
	}},
	{"invalid-second-document.yaml", []string{
		`testdata/invalid-second-document.yaml:3: a second YAML document: a policy file holds exactly one`,
	}},
	{"invalid-secret-key.yaml", []string{
		`testdata/invalid-secret-key.yaml:6: upstreams.github.token: unknown key "token": a secret never goes in the policy; set token_env to the name of the environment variable that holds it`,
	}},
	{"invalid-shorthand-and-limits.yaml", []string{
		`testdata/invalid-shorthand-and-limits.yaml:5: pools.demo.limits: cannot be combined with limit, window: give either one limit with limit and window, or a limits list`,
	}},
	{"invalid-syntax.yaml", []string{
		`testdata/invalid-syntax.yaml:1: bad YAML: did not find expected ',' or '}'`,
	}},
	{"invalid-token-env-name.yaml", []string{
		`testdata/invalid-token-env-name.yaml:6: upstreams.a.token_env: must be the name of an environment variable, such as GITHUB_TOKEN (letters, digits and _, not starting with a digit)`,
		`testdata/invalid-token-env-name.yaml:9: upstreams.b.token_env: must be the name of an environment variable, such as GITHUB_TOKEN (letters, digits and _, not starting with a digit)`,
	}},
	{"invalid-token-env-secret.yaml", []string{
		`testdata/invalid-token-env-secret.yaml:7: upstreams.openai.token_env: this looks like a secret: put the name of the environment variable that holds the token here (such as GITHUB_TOKEN), never the token itself`,
		`testdata/invalid-token-env-secret.yaml:11: upstreams.github.token_env: this looks like a secret: put the name of the environment variable that holds the token here (such as GITHUB_TOKEN), never the token itself`,
		`testdata/invalid-token-env-secret.yaml:14: upstreams.other.token_env: this looks like a secret: put the name of the environment variable that holds the token here (such as GITHUB_TOKEN), never the token itself`,
	}},
	{"invalid-unknown-algorithm.yaml", []string{
		`testdata/invalid-unknown-algorithm.yaml:5: pools.typo.algorithm: unknown algorithm "slidng"; did you mean "sliding"? (use sliding, fixed or bucket)`,
		`testdata/invalid-unknown-algorithm.yaml:9: pools.other.algorithm: unknown algorithm "leaky" (use sliding, fixed or bucket)`,
	}},
	{"invalid-unknown-key.yaml", []string{
		`testdata/invalid-unknown-key.yaml:3: pools.demo.limt: unknown key "limt"; did you mean "limit"?`,
		`testdata/invalid-unknown-key.yaml:5: pools.demo.colour: unknown key "colour" (known keys: unit, limit, window, algorithm, burst, limits, concurrency, per, reserve, upstream, on_store_error)`,
		`testdata/invalid-unknown-key.yaml:6: pool: unknown key "pool"; did you mean "pools"?`,
	}},
	{"invalid-unknown-upstream.yaml", []string{
		`testdata/invalid-unknown-upstream.yaml:5: pools.core.upstream: unknown upstream "githb"; did you mean "github"?`,
	}},
	{"invalid-url.yaml", []string{
		`testdata/invalid-url.yaml:5: upstreams.relative.url: must be an absolute http or https URL, such as https://api.github.com`,
		`testdata/invalid-url.yaml:7: upstreams.ftp.url: must be an absolute http or https URL, such as https://api.github.com`,
		`testdata/invalid-url.yaml:9: upstreams.creds.url: must not carry credentials: name the environment variable that holds the token in token_env`,
		`testdata/invalid-url.yaml:10: upstreams.missing: missing url (e.g. url: https://api.github.com)`,
	}},
	{"invalid-wrong-type.yaml", []string{
		`testdata/invalid-wrong-type.yaml:3: pools.demo.limit: must be a whole number, got string "5000"`,
		`testdata/invalid-wrong-type.yaml:5: pools.demo.concurrency: must be a whole number, got number 1.5`,
		`testdata/invalid-wrong-type.yaml:6: pools.demo.per: must be a string, got a list`,
		`testdata/invalid-wrong-type.yaml:7: pools.other: must be a mapping, got number 12`,
	}},
	{"invalid-zero-burst.yaml", []string{
		`testdata/invalid-zero-burst.yaml:6: pools.demo.burst: must be positive, got 0`,
	}},
	{"invalid-zero-concurrency.yaml", []string{
		`testdata/invalid-zero-concurrency.yaml:5: pools.demo.concurrency: must be positive, got 0`,
	}},
	{"invalid-zero-limit.yaml", []string{
		`testdata/invalid-zero-limit.yaml:3: pools.zero.limit: must be positive, got 0`,
		`testdata/invalid-zero-limit.yaml:7: pools.negative.limits[0].limit: must be positive, got -5`,
	}},
}

func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range invalidFixtures {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", tc.file)
			p, err := policy.Load(path)
			if p != nil {
				t.Errorf("Load returned a policy for an invalid file")
			}
			var fs policy.Findings
			if !errors.As(err, &fs) {
				t.Fatalf("Load error = %v (%T), want Findings", err, err)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for _, f := range fs {
				if f.File != path {
					t.Errorf("finding %q has File %q, want %q", f, f.File, path)
				}
			}
		})
	}
}

// TestInvalidFixturesListed keeps the table and testdata in step: a fixture
// without expectations would test nothing.
func TestInvalidFixturesListed(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/invalid-*")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tc := range invalidFixtures {
		if listed[tc.file] {
			t.Errorf("%s is listed twice", tc.file)
		}
		listed[tc.file] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no expected findings in invalidFixtures", f)
		}
		delete(listed, filepath.Base(f))
	}
	for f := range listed {
		t.Errorf("invalidFixtures lists %s, which is not in testdata", f)
	}
}
