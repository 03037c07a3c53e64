// Package examples_test checks the example policies of this directory: each
// must load, name its upstream's token variable, and carry the published
// figures its header comment cites.
package examples_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ratelord/ratelord/policy"
)

// limit is a pool's first limit, as a test expects it.
type limit struct {
	limit  int64
	window time.Duration
}

var examples = []struct {
	file     string
	upstream string
	tokenEnv string
	pools    map[string]limit
}{
	{"github.yaml", "github", "GITHUB_TOKEN", map[string]limit{
		"github-core":    {5000, time.Hour},
		"github-search":  {30, time.Minute},
		"github-graphql": {5000, time.Hour},
	}},
	{"openai.yaml", "openai", "OPENAI_API_KEY", map[string]limit{
		"openai-requests": {500, time.Minute},
		"openai-tokens":   {200000, time.Minute},
	}},
	{"anthropic.yaml", "anthropic", "ANTHROPIC_API_KEY", map[string]limit{
		"anthropic-requests":      {50, time.Minute},
		"anthropic-input-tokens":  {30000, time.Minute},
		"anthropic-output-tokens": {8000, time.Minute},
	}},
}

func TestExamplePoliciesLoad(t *testing.T) {
	t.Parallel()
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			t.Parallel()
			p, err := policy.Load(ex.file)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Pools) != len(ex.pools) {
				t.Errorf("%d pools, want %d", len(p.Pools), len(ex.pools))
			}
			for name, want := range ex.pools {
				pool := p.Pool(name)
				if pool == nil {
					t.Errorf("no pool %s", name)
					continue
				}
				if got := pool.Limits[0]; got.Limit != want.limit || got.Window != want.window {
					t.Errorf("pool %s: %d per %s, want %d per %s", name, got.Limit, got.Window, want.limit, want.window)
				}
				if pool.Upstream != ex.upstream {
					t.Errorf("pool %s: upstream %q, want %q", name, pool.Upstream, ex.upstream)
				}
			}
			u := p.Upstream(ex.upstream)
			if u == nil || u.Dialect != ex.upstream || u.TokenEnv != ex.tokenEnv || len(u.Routes) == 0 {
				t.Fatalf("upstream %s = %+v, want dialect %s, token_env %s and routes", ex.upstream, u, ex.upstream, ex.tokenEnv)
			}
			for dim, pool := range u.Resources {
				if p.Pool(pool) == nil {
					t.Errorf("resource %s maps to unknown pool %s", dim, pool)
				}
			}
		})
	}
}

func TestExamplePoliciesCheckEnv(t *testing.T) {
	t.Parallel()
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			t.Parallel()
			p, err := policy.Load(ex.file)
			if err != nil {
				t.Fatal(err)
			}
			if fs := policy.CheckEnv(p, func(string) string { return "x" }); len(fs) != 0 {
				t.Errorf("every variable set: findings %v, want none", fs)
			}
			fs := policy.CheckEnv(p, func(string) string { return "" })
			if len(fs) != 1 {
				t.Fatalf("no variable set: findings %v, want exactly the token_env one", fs)
			}
			want := ex.file + ":"
			key := "upstreams." + ex.upstream + ".token_env: environment variable " + ex.tokenEnv + " is unset or empty"
			if s := fs[0].String(); !strings.HasPrefix(s, want) || !strings.Contains(s, key) {
				t.Errorf("finding %q, want %s<line>: %s...", s, want, key)
			}
		})
	}
}
