package policy_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratelord/ratelord/policy"
)

func TestLoadValid(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/valid-*")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found %d valid fixtures, want at least 4", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			p, err := policy.Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if p.Source != path {
				t.Errorf("Source = %q, want %q", p.Source, path)
			}
			if len(p.Pools) == 0 {
				t.Errorf("no pools")
			}
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "missing.yaml")
	_, err := policy.Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load error = %v, want one naming %s", err, path)
	}
	var fs policy.Findings
	if errors.As(err, &fs) {
		t.Errorf("an unreadable file gave Findings: %v", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v does not wrap os.ErrNotExist", err)
	}
}

func TestFindingString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    policy.Finding
		want string
	}{
		{policy.Finding{File: "policy.yaml", Line: 12, Key: "pools.a.window", Message: "bad"}, "policy.yaml:12: pools.a.window: bad"},
		{policy.Finding{File: "policy.yaml", Key: "pools", Message: "no pools"}, "policy.yaml: pools: no pools"},
		{policy.Finding{File: "p.json", Line: 3, Message: "bad YAML: x"}, "p.json:3: bad YAML: x"},
	}
	for _, tc := range tests {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	fs := policy.Findings{tests[0].f, tests[1].f}
	if got, want := fs.Error(), tests[0].want+"\n"+tests[1].want; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestSecretsNeverEchoed checks that findings about a misplaced token never
// repeat it.
func TestSecretsNeverEchoed(t *testing.T) {
	t.Parallel()
	secrets := []string{"sk-proj-abc123def456", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6", "hunter2"}
	for _, file := range []string{"invalid-token-env-secret.yaml", "invalid-secret-key.yaml", "invalid-url.yaml"} {
		_, err := policy.Load(filepath.Join("testdata", file))
		if err == nil {
			t.Fatalf("%s: no error", file)
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%s: findings repeat the secret %q:\n%v", file, s, err)
			}
		}
	}
}

// FuzzParse checks that no input makes Parse panic, and that it returns
// either a policy with pools or findings, never both or neither.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: &a {<<: *a}"))
	f.Add([]byte("pools: {x: {<<: [{limit: 1}, {window: 1m}]}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.Parse("fuzz.yaml", data)
		var fs policy.Findings
		switch {
		case err == nil && (p == nil || len(p.Pools) == 0):
			t.Fatalf("no error and no pools")
		case err != nil && !errors.As(err, &fs):
			t.Fatalf("error is %T, want Findings", err)
		case err != nil && (p != nil || len(fs) == 0):
			t.Fatalf("error %v with policy %v", err, p)
		}
	})
}
