package policy_test

import (
	"strings"
	"testing"

	"github.com/ratelord/ratelord/policy"
)

func TestCheckEnv(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `pools:
  a: {limit: 1, window: 1m}
upstreams:
  github:
    url: https://api.github.com
    token_env: GITHUB_TOKEN
  openai:
    url: https://api.openai.com
    token_env: OPENAI_API_KEY
  public:
    url: https://example.com
`)
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"all set", map[string]string{"GITHUB_TOKEN": "ghp_x", "OPENAI_API_KEY": "sk-x"}, nil},
		{"one unset", map[string]string{"GITHUB_TOKEN": "ghp_x"}, []string{
			"test.yaml:9: upstreams.openai.token_env: environment variable OPENAI_API_KEY is unset or empty: requests proxied to openai will carry no token",
		}},
		{"empty counts as unset", map[string]string{"GITHUB_TOKEN": "", "OPENAI_API_KEY": "sk-secret-value"}, []string{
			"test.yaml:6: upstreams.github.token_env: environment variable GITHUB_TOKEN is unset or empty: requests proxied to github will carry no token",
		}},
		{"none set", nil, []string{
			"test.yaml:6: upstreams.github.token_env: environment variable GITHUB_TOKEN is unset or empty: requests proxied to github will carry no token",
			"test.yaml:9: upstreams.openai.token_env: environment variable OPENAI_API_KEY is unset or empty: requests proxied to openai will carry no token",
		}},
	}
	for _, tc := range tests {
		fs := policy.CheckEnv(p, func(k string) string { return tc.env[k] })
		var got []string
		for _, f := range fs {
			got = append(got, f.String())
			for _, v := range tc.env {
				if v != "" && strings.Contains(f.String(), v) {
					t.Errorf("%s: finding %q holds the value of a variable", tc.name, f)
				}
			}
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s: CheckEnv =\n%s\nwant:\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

func TestCheckEnvHandBuilt(t *testing.T) {
	t.Parallel()
	p := &policy.Policy{Source: "built", Upstreams: []*policy.Upstream{{Name: "x", TokenEnv: "RATELORD_TEST_SURELY_UNSET_VARIABLE"}}}
	fs := policy.CheckEnv(p, nil) // nil: os.Getenv
	want := "built: upstreams.x.token_env: environment variable RATELORD_TEST_SURELY_UNSET_VARIABLE is unset or empty: requests proxied to x will carry no token"
	if len(fs) != 1 || fs[0].String() != want {
		t.Errorf("CheckEnv = %v, want %q", fs, want)
	}
}
