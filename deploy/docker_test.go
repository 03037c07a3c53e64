package deploy_test

import (
	"encoding/json"
	"net"
	"net/url"
	"path"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line  int
	op    string // upper case: FROM, ENV, ...
	args  string
	stage int // index of the FROM it belongs to
}

// parseDockerfile splits a Dockerfile into instructions.
func parseDockerfile(t *testing.T, text string) []instruction {
	t.Helper()
	var ins []instruction
	var cur strings.Builder
	start, stage := 0, -1
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		cont := strings.HasSuffix(trimmed, `\`)
		cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
		if cont {
			continue
		}
		op, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		op = strings.ToUpper(op)
		if op == "FROM" {
			stage++
		}
		ins = append(ins, instruction{line: start, op: op, args: strings.TrimSpace(args), stage: stage})
		cur.Reset()
	}
	return ins
}

// execForm parses a JSON array argument (ENTRYPOINT ["a", "b"]).
func execForm(t *testing.T, in instruction) []string {
	t.Helper()
	var argv []string
	if err := json.Unmarshal([]byte(in.args), &argv); err != nil {
		t.Fatalf("Dockerfile:%d: %s wants the exec form [\"...\"] (no shell in the image): %v", in.line, in.op, err)
	}
	return argv
}

// dockerImage is what the final stage of the Dockerfile declares.
type dockerImage struct {
	env         map[string]string
	volumes     []string
	expose      []string
	copied      map[string]string // destination -> source (from the build context or a stage)
	entrypoint  []string
	healthcheck []string
	user        string
	base        string
	build       string // the RUN lines of the builder, joined
}

func readDockerfile(t *testing.T) dockerImage {
	t.Helper()
	ins := parseDockerfile(t, readRepo(t, "Dockerfile"))
	final := ins[len(ins)-1].stage
	img := dockerImage{env: map[string]string{}, copied: map[string]string{}}
	for _, in := range ins {
		if in.stage != final {
			if in.op == "RUN" || in.op == "ENV" {
				img.build += in.args + "\n"
			}
			continue
		}
		switch in.op {
		case "FROM":
			img.base = strings.Fields(in.args)[0]
		case "ENV":
			for _, kv := range strings.Fields(in.args) {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("Dockerfile:%d: write ENV as KEY=value", in.line)
				}
				img.env[k] = strings.Trim(v, `"`)
			}
		case "VOLUME":
			img.volumes = append(img.volumes, strings.Fields(strings.Trim(in.args, `[]"`))...)
		case "EXPOSE":
			img.expose = append(img.expose, strings.Fields(in.args)...)
		case "COPY":
			var srcs []string
			for _, f := range strings.Fields(in.args) {
				if !strings.HasPrefix(f, "--") {
					srcs = append(srcs, f)
				}
			}
			dst := srcs[len(srcs)-1]
			for _, s := range srcs[:len(srcs)-1] {
				if strings.HasSuffix(dst, "/") {
					img.copied[path.Join(dst, path.Base(s))] = s
				} else {
					img.copied[dst] = s
				}
			}
		case "ENTRYPOINT":
			img.entrypoint = execForm(t, in)
		case "HEALTHCHECK":
			_, cmd, ok := strings.Cut(in.args, "CMD ")
			if !ok {
				t.Fatalf("Dockerfile:%d: HEALTHCHECK without CMD", in.line)
			}
			img.healthcheck = execForm(t, instruction{line: in.line, op: "HEALTHCHECK CMD", args: cmd})
		case "USER":
			img.user = in.args
		}
	}
	return img
}

// reaches reports whether a client inside the container that dials rawURL
// reaches a daemon listening on addr.
func reaches(t *testing.T, rawURL, addr string) bool {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("url %q: %v", rawURL, err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	if u.Port() != port {
		return false
	}
	ip := net.ParseIP(host)
	return host == "" || host == u.Hostname() || (ip != nil && ip.IsUnspecified()) || (ip != nil && ip.IsLoopback() && u.Hostname() == "localhost")
}

// urlFlag returns the value of --url in a ratelord command line.
func urlFlag(argv []string) string {
	for i, a := range argv {
		if v, ok := strings.CutPrefix(a, "--url="); ok {
			return v
		}
		if a == "--url" && i+1 < len(argv) {
			return argv[i+1]
		}
	}
	return "http://127.0.0.1:8090" // the CLI's default
}

func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return port
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	img := readDockerfile(t)
	checkEnv(t, "Dockerfile ENV", daemon, img.env)
	checkArgv(t, "Dockerfile ENTRYPOINT", img.entrypoint)
	if path.Base(img.entrypoint[0]) != "ratelord-d" || img.copied[img.entrypoint[0]] == "" {
		t.Errorf("Dockerfile: ENTRYPOINT %q is not the ratelord-d copied into the image (%v)", img.entrypoint, img.copied)
	}
	db, cfg, addr := img.env["RATELORD_DB_PATH"], img.env["RATELORD_CONFIG_PATH"], img.env["RATELORD_ADDR"]
	if len(img.volumes) == 0 || !under(db, img.volumes[0]) {
		t.Errorf("Dockerfile: RATELORD_DB_PATH %q is not on the VOLUME %v", db, img.volumes)
	}
	if img.copied[cfg] != "policy.yaml" {
		t.Errorf("Dockerfile: RATELORD_CONFIG_PATH %q is not the root policy.yaml copied into the image (%v)", cfg, img.copied)
	}
	if port := portOf(t, addr); len(img.expose) != 1 || strings.TrimSuffix(img.expose[0], "/tcp") != port {
		t.Errorf("Dockerfile: EXPOSE %v, but RATELORD_ADDR %s", img.expose, addr)
	}
	if h, _, _ := net.SplitHostPort(addr); net.ParseIP(h) == nil || !net.ParseIP(h).IsUnspecified() {
		t.Errorf("Dockerfile: RATELORD_ADDR %s: a published port reaches only 0.0.0.0 inside a container", addr)
	}
	checkArgv(t, "Dockerfile HEALTHCHECK", img.healthcheck)
	if path.Base(img.healthcheck[0]) != "ratelord" || img.copied[img.healthcheck[0]] == "" || !reaches(t, urlFlag(img.healthcheck), addr) {
		t.Errorf("Dockerfile: HEALTHCHECK %q must run the image's ratelord CLI against RATELORD_ADDR %s", img.healthcheck, addr)
	}
	if u := img.user; u == "" || u == "root" || u == "0" || strings.HasPrefix(u, "0:") {
		t.Errorf("Dockerfile: USER %q: run as a non-root user", u)
	}
	if !strings.Contains(img.base, "distroless") && img.base != "scratch" {
		t.Errorf("Dockerfile: final image %s: want distroless or scratch", img.base)
	}
	words := map[string]bool{}
	for _, w := range strings.Fields(img.build) {
		words[strings.Trim(w, `"`)] = true
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/ratelord-d", "./cmd/ratelord"} {
		if !words[want] {
			t.Errorf("Dockerfile: the builder does not use %q:\n%s", want, img.build)
		}
	}
	if !strings.Contains(img.build, "-X main.version=") {
		t.Errorf("Dockerfile: the builder does not set main.version:\n%s", img.build)
	}
	// The image's settings and the policy it ships pass the daemon's check.
	runCheck(t, "Dockerfile", img.env, "--config", "../policy.yaml")
}
