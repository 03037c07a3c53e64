// Package deploy_test checks the deployment files (Dockerfile, compose,
// systemd, Kubernetes) against the daemon they run: the flags and
// RATELORD_* variables they use are the ones the built binaries accept,
// paths lie on the declared volumes, ports agree, stop timeouts exceed the
// daemon's drain, and the policies they ship pass ratelord-d --check.
package deploy_test

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// drain is the daemon's bound on a graceful stop (shutdownGrace in
// cmd/ratelord-d): every stop timeout must exceed it.
const drain = 30 * time.Second

// program is what a built binary accepts, read from its --help.
type program struct {
	path     string
	flags    map[string]bool // name -> takes a value
	env      map[string]bool
	commands map[string]bool // the CLI's subcommands
}

var daemon, cli program

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ratelord-deploy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		var err error
		if daemon, err = build(dir, "ratelord-d"); err == nil {
			cli, err = build(dir, "ratelord")
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

var (
	helpFlagRE = regexp.MustCompile(`(?m)^\s+--?([a-z][a-z0-9-]*)(?: (\S+))?`)
	helpEnvRE  = regexp.MustCompile(`\(env (RATELORD_[A-Z0-9_]+)`)
	helpCmdRE  = regexp.MustCompile(`(?m)^  ([a-z]+) {2,}\S`)
)

// build builds ./cmd/NAME into dir and reads what it accepts from its
// --help, so these tests follow the daemon instead of a copied list.
func build(dir, name string) (program, error) {
	p := program{path: filepath.Join(dir, name), flags: map[string]bool{}, env: map[string]bool{}, commands: map[string]bool{}}
	if out, err := exec.Command("go", "build", "-o", p.path, "../cmd/"+name).CombinedOutput(); err != nil {
		return p, fmt.Errorf("go build ../cmd/%s: %v\n%s", name, err, out)
	}
	out, err := exec.Command(p.path, "--help").CombinedOutput()
	if err != nil {
		return p, fmt.Errorf("%s --help: %v\n%s", name, err, out)
	}
	help := string(out)
	p.flags["help"], p.flags["h"] = false, false // the flag package's own
	for _, m := range helpFlagRE.FindAllStringSubmatch(help, -1) {
		p.flags[m[1]] = m[2] != ""
	}
	for _, m := range helpEnvRE.FindAllStringSubmatch(help, -1) {
		p.env[m[1]] = true
	}
	if i := strings.Index(help, "commands:"); i >= 0 {
		for _, m := range helpCmdRE.FindAllStringSubmatch(help[i:], -1) {
			p.commands[m[1]] = true
		}
	}
	if len(p.flags) < 3 || len(p.env) < 2 {
		return p, fmt.Errorf("%s --help: found flags %v and env %v only; has its usage format changed?\n%s", name, p.flags, p.env, help)
	}
	return p, nil
}

// readRepo returns a file of the repository, named from its root.
func readRepo(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkArgv checks a command line that runs ratelord-d or ratelord: every
// flag is one the binary accepts, and the CLI's subcommand exists.
func checkArgv(t *testing.T, where string, argv []string) {
	t.Helper()
	if len(argv) == 0 {
		t.Errorf("%s: empty command", where)
		return
	}
	var p program
	switch path.Base(argv[0]) {
	case "ratelord-d":
		p = daemon
	case "ratelord":
		p = cli
	default:
		return
	}
	var pos []string
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || len(pos) > 0 {
			pos = append(pos, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takes, ok := p.flags[name]
		if !ok {
			t.Errorf("%s: %s has no flag %s (it accepts %v)", where, path.Base(argv[0]), a, keys(p.flags))
		}
		if takes && !hasValue {
			i++
		}
	}
	switch {
	case p.path == daemon.path && len(pos) > 0:
		t.Errorf("%s: ratelord-d takes only flags, got %q", where, pos)
	case p.path == cli.path && (len(pos) == 0 || !p.commands[pos[0]]):
		t.Errorf("%s: want a ratelord command (%v), got %q", where, keys(p.commands), pos)
	}
}

// checkEnv checks that every RATELORD_* name in env is one p accepts.
func checkEnv(t *testing.T, where string, p program, env map[string]string) {
	t.Helper()
	for k := range env {
		if strings.HasPrefix(k, "RATELORD_") && !p.env[k] {
			t.Errorf("%s: %s is not a variable %s reads (it reads %v)", where, k, filepath.Base(p.path), keys(p.env))
		}
	}
}

// runCheck runs ratelord-d --check with args and exactly env: it must pass,
// which also proves that the env's values parse.
func runCheck(t *testing.T, where string, env map[string]string, args ...string) {
	t.Helper()
	cmd := exec.Command(daemon.path, append([]string{"--check"}, args...)...)
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": ok (") {
		t.Errorf("%s: ratelord-d --check %s with env %v: %v\n%s", where, strings.Join(args, " "), cmd.Env, err, out)
	}
}

// under reports whether the absolute path p lies inside dir.
func under(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return path.IsAbs(p) && (dir == "/" || strings.HasPrefix(p, dir+"/"))
}

// keys returns a map's keys in order, for messages.
func keys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

var ratelordVarRE = regexp.MustCompile(`\bRATELORD_[A-Z0-9_]+\b`)

// TestEveryRatelordVariableIsRead scans every deployment file and guide for
// RATELORD_* names: each must be read by the daemon or the CLI.
func TestEveryRatelordVariableIsRead(t *testing.T) {
	t.Parallel()
	files := []string{"Dockerfile", "docker-compose.yml", "deploy/systemd/ratelord.service", "deploy/systemd/env.example",
		"deploy/kubernetes/configmap.yaml", "deploy/kubernetes/pvc.yaml", "deploy/kubernetes/deployment.yaml",
		"deploy/kubernetes/kustomization.yaml", "deploy/kubernetes/README.md", "docs/deployment.md"}
	for _, f := range files {
		for _, name := range ratelordVarRE.FindAllString(readRepo(t, f), -1) {
			if !daemon.env[name] && !cli.env[name] {
				t.Errorf("%s: %s is read by neither ratelord-d (%v) nor ratelord (%v)", f, name, keys(daemon.env), keys(cli.env))
			}
		}
	}
}

var (
	codeRE    = regexp.MustCompile("(?s)```.*?```|`[^`\n]+`")
	daemonRE  = regexp.MustCompile(`(?:^|[\s/])ratelord-d((?:[ \t]+[^\s|;&#)\\]+)*)`)
	guideDocs = []string{"docs/deployment.md", "deploy/kubernetes/README.md"}
)

// TestGuidesUseDaemonFlags checks the flags given to ratelord-d in the
// guides' code: every --flag after ratelord-d is one it accepts.
func TestGuidesUseDaemonFlags(t *testing.T) {
	t.Parallel()
	for _, f := range guideDocs {
		for _, code := range codeRE.FindAllString(readRepo(t, f), -1) {
			for _, m := range daemonRE.FindAllStringSubmatch(strings.Trim(code, "`"), -1) {
				for _, a := range strings.Fields(m[1]) {
					name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
					if strings.HasPrefix(a, "--") && !strings.HasPrefix(a, "---") {
						if _, ok := daemon.flags[name]; !ok {
							t.Errorf("%s: `ratelord-d ... %s`: no such flag (it accepts %v)", f, a, keys(daemon.flags))
						}
					}
				}
			}
		}
	}
}
