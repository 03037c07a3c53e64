package deploy_test

import (
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerignoreKeepsBuildInputs checks that .dockerignore leaves every
// package the two binaries are built from, their embedded files, and the
// files the Dockerfile copies from the context.
func TestDockerignoreKeepsBuildInputs(t *testing.T) {
	t.Parallel()
	var patterns []string
	for _, l := range strings.Split(readRepo(t, ".dockerignore"), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "!") {
			t.Fatalf(".dockerignore: %q: exceptions are not supported by this test; extend ignored()", l)
		}
		patterns = append(patterns, path.Clean(strings.TrimPrefix(l, "/")))
	}
	need := []string{"go.mod", "go.sum"}
	for _, in := range parseDockerfile(t, readRepo(t, "Dockerfile")) {
		if in.op == "COPY" && !strings.Contains(in.args, "--from=") {
			f := strings.Fields(in.args)
			for _, s := range f[:len(f)-1] {
				if !strings.HasPrefix(s, "--") && s != "." {
					need = append(need, s)
				}
			}
		}
	}
	out, err := exec.Command("go", "list", "-deps", "-f",
		`{{if and .Module .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}`,
		"../cmd/ratelord-d", "../cmd/ratelord").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, _ := filepath.Abs("..")
	for _, f := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		need = append(need, filepath.ToSlash(rel))
	}
	if len(need) < 10 {
		t.Fatalf("go list found only %v", need)
	}
	for _, f := range need {
		if p := ignored(f, patterns); p != "" {
			t.Errorf(".dockerignore: %q leaves %s out of the build context, but the image needs it", p, f)
		}
	}
}

// ignored returns the pattern that excludes name or one of its parents,
// following .dockerignore's rules for the patterns used there.
func ignored(name string, patterns []string) string {
	for _, p := range patterns {
		for dir := name; dir != "." && dir != "/"; dir = path.Dir(dir) {
			if rest, ok := strings.CutPrefix(p, "**/"); ok {
				if m, _ := path.Match(rest, path.Base(dir)); m {
					return p
				}
			} else if m, _ := path.Match(p, dir); m {
				return p
			}
		}
	}
	return ""
}
