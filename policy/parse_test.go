package policy_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ratelord/ratelord/policy"
	"github.com/ratelord/ratelord/quota"
)

// summary renders what a policy holds, one line per pool, limit, upstream
// and route, so tests compare whole policies as text.
func summary(p *policy.Policy) string {
	var b strings.Builder
	algs := map[quota.Algorithm]string{quota.Sliding: "sliding", quota.Fixed: "fixed", quota.Bucket: "bucket"}
	for _, pool := range p.Pools {
		fmt.Fprintf(&b, "pool %s unit=%s concurrency=%d per_identity=%t reserve=%v upstream=%q on_store_error=%s\n",
			pool.Name, pool.Unit, pool.Concurrency, pool.PerIdentity, pool.Reserve, pool.Upstream, pool.OnStoreError)
		for _, l := range pool.Limits {
			fmt.Fprintf(&b, "  limit %d per %s %s burst=%d\n", l.Limit, l.Window, algs[l.Algorithm], l.Burst)
		}
	}
	for _, u := range p.Upstreams {
		res := make([]string, 0, len(u.Resources))
		for k, v := range u.Resources {
			res = append(res, k+"->"+v)
		}
		slices.Sort(res)
		fmt.Fprintf(&b, "upstream %s url=%s dialect=%s token_env=%s poll=%s resources=%v\n", u.Name, u.URL, u.Dialect, u.TokenEnv, u.Poll, res)
		for _, r := range u.Routes {
			fmt.Fprintf(&b, "  route %s %+v\n", r.Path, r.Pools)
		}
	}
	return b.String()
}

const designSummary = `pool github-core unit=requests concurrency=100 per_identity=false reserve=[2000 0 0 0] upstream="github" on_store_error=deny
  limit 5000 per 1h0m0s fixed burst=100
pool openai-requests unit=requests concurrency=0 per_identity=false reserve=[0 0 0 0] upstream="" on_store_error=deny
  limit 500 per 1m0s bucket burst=0
  limit 10000 per 24h0m0s sliding burst=0
pool openai-tokens unit=tokens concurrency=0 per_identity=false reserve=[0 0 0 0] upstream="openai" on_store_error=deny
  limit 30000 per 1m0s bucket burst=0
pool nightly unit=requests concurrency=0 per_identity=true reserve=[0 0 0 0] upstream="" on_store_error=deny
  limit 100 per 24h0m0s sliding burst=0
upstream github url=https://api.github.com dialect=github token_env=GITHUB_TOKEN poll=1m0s resources=[core->github-core]
  route / [{Pool:github-core Cost:1 Estimate:false}]
upstream openai url=https://api.openai.com dialect=openai token_env=OPENAI_API_KEY poll=0s resources=[]
  route /v1/chat/completions [{Pool:openai-requests Cost:1 Estimate:false} {Pool:openai-tokens Cost:0 Estimate:true}]
`

// TestDesignPolicy parses the policy of DESIGN.md section 2, as YAML and as
// JSON, to the same result.
func TestDesignPolicy(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"testdata/valid-design.yaml", "testdata/valid-design.json"} {
		p, err := policy.Load(file)
		if err != nil {
			t.Fatalf("Load(%s): %v", file, err)
		}
		if got := summary(p); got != designSummary {
			t.Errorf("%s parsed to:\n%s\nwant:\n%s", file, got, designSummary)
		}
	}
}

const featuresSummary = `pool base unit=requests concurrency=0 per_identity=false reserve=[0 0 0 0] upstream="" on_store_error=deny
  limit 60 per 1m0s sliding burst=0
pool copy unit=requests concurrency=0 per_identity=false reserve=[0 0 0 0] upstream="" on_store_error=deny
  limit 60 per 1m0s sliding burst=0
pool bigger unit=requests concurrency=0 per_identity=false reserve=[0 0 0 0] upstream="" on_store_error=deny
  limit 120 per 1m0s sliding burst=0
pool reserved unit=requests concurrency=0 per_identity=false reserve=[1250 1250 25 0] upstream="" on_store_error=allow
  limit 1000 per 1h0m0s sliding burst=0
pool bursty.bucket_1 unit=requests concurrency=0 per_identity=false reserve=[0 0 0 0] upstream="" on_store_error=deny
  limit 10 per 1s bucket burst=50
upstream anthropic url=https://api.anthropic.com/ dialect=anthropic token_env=ANTHROPIC_API_KEY poll=0s resources=[requests->base tokens->bigger]
  route /v1/models []
  route /v1/messages [{Pool:base Cost:1 Estimate:false} {Pool:bigger Cost:0 Estimate:true}]
  route /v1/messagesx [{Pool:base Cost:60 Estimate:false}]
upstream local url=http://127.0.0.1:9000 dialect=none token_env= poll=0s resources=[]
`

// TestFeatures covers defaults, anchors and merge keys, reserve inheritance
// and routes that cost nothing.
func TestFeatures(t *testing.T) {
	t.Parallel()
	p, err := policy.Load("testdata/valid-features.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(p); got != featuresSummary {
		t.Errorf("parsed to:\n%s\nwant:\n%s", got, featuresSummary)
	}
}

func TestExample(t *testing.T) {
	t.Parallel()
	root, err := os.ReadFile("../policy.yaml")
	if err != nil {
		t.Fatalf("read the repository's example policy: %v", err)
	}
	if !bytes.Equal(root, policy.ExampleYAML) {
		t.Errorf("../policy.yaml differs from policy/example.yaml: keep them identical")
	}
	p := policy.Example()
	if p.Source != "built-in example policy" {
		t.Errorf("Source = %q, want %q", p.Source, "built-in example policy")
	}
	if len(p.Upstreams) != 0 {
		t.Errorf("the example has upstreams; their token variables would be unset")
	}
	demo := p.Pool("demo")
	if demo == nil || len(demo.Limits) != 1 || demo.Limits[0].Limit != 10 {
		t.Fatalf("the example has no demo pool of 10 requests: %+v", demo)
	}
	// The example shows every feature a newcomer needs.
	var bucket, fixedBurst, concurrency, perIdentity, reserve, tokens, list bool
	for _, pool := range p.Pools {
		for _, l := range pool.Limits {
			bucket = bucket || l.Algorithm == quota.Bucket
			fixedBurst = fixedBurst || l.Algorithm == quota.Fixed && l.Burst > 0
		}
		list = list || len(pool.Limits) > 1
		concurrency = concurrency || pool.Concurrency > 0
		perIdentity = perIdentity || pool.PerIdentity
		reserve = reserve || pool.Reserve != [4]int64{}
		tokens = tokens || pool.Unit == "tokens"
	}
	for name, ok := range map[string]bool{"bucket": bucket, "fixed with burst": fixedBurst, "concurrency": concurrency,
		"per: identity": perIdentity, "reserve": reserve, "unit tokens": tokens, "limits list": list} {
		if !ok {
			t.Errorf("the example shows no %s", name)
		}
	}
	if q := policy.Example(); q == p || q.Pools[0] == p.Pools[0] {
		t.Errorf("Example returned shared values; callers may keep and change theirs")
	}
}
