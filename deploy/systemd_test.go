package deploy_test

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const unitFile = "deploy/systemd/ratelord.service"

// unit is a systemd unit file: section -> key -> values, in order (a key
// may repeat, as SystemCallFilter= does).
type unit map[string]map[string][]string

func parseUnit(t *testing.T, text string) unit {
	t.Helper()
	u := unit{}
	section := ""
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		case section == "":
			t.Fatalf("%s:%d: %q outside a section", unitFile, i+1, line)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || strings.HasSuffix(line, `\`) {
				t.Fatalf("%s:%d: want Key=value on one line, got %q", unitFile, i+1, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

// one returns the last value of a key (the one systemd uses for most keys).
func (u unit) one(section, key string) string {
	vs := u[section][key]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// seconds parses a systemd time span as the unit uses it: "45", "45s", "1min".
func seconds(t *testing.T, s string) time.Duration {
	t.Helper()
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second
	}
	d, err := time.ParseDuration(strings.ReplaceAll(s, "min", "m"))
	if err != nil {
		t.Fatalf("%s: time span %q: %v", unitFile, s, err)
	}
	return d
}

// flagValue returns the value of --name in argv.
func flagValue(argv []string, name string) string {
	for i, a := range argv {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
		if a == "--"+name && i+1 < len(argv) {
			return argv[i+1]
		}
	}
	return ""
}

func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	u := parseUnit(t, readRepo(t, unitFile))
	svc := u["Service"]
	argv := strings.Fields(strings.TrimLeft(u.one("Service", "ExecStart"), "-@+!:"))
	checkArgv(t, unitFile+" ExecStart", argv)
	if len(argv) == 0 || path.Base(argv[0]) != "ratelord-d" {
		t.Fatalf("%s: ExecStart %q does not run ratelord-d", unitFile, argv)
	}
	db, cfg, addr := flagValue(argv, "db"), flagValue(argv, "config"), flagValue(argv, "addr")
	if state := u.one("Service", "StateDirectory"); state == "" || !under(db, "/var/lib/"+state) {
		t.Errorf("%s: --db %q is not in StateDirectory=%s (/var/lib/%[3]s), the only place the service can write", unitFile, db, state)
	}
	if conf := u.one("Service", "ConfigurationDirectory"); conf == "" || !under(cfg, "/etc/"+conf) {
		t.Errorf("%s: --config %q is not in ConfigurationDirectory=%s (/etc/%[3]s)", unitFile, cfg, conf)
	}
	if ef := strings.TrimPrefix(u.one("Service", "EnvironmentFile"), "-"); !under(ef, "/etc/"+u.one("Service", "ConfigurationDirectory")) {
		t.Errorf("%s: EnvironmentFile %q is not in the configuration directory", unitFile, ef)
	}
	if portOf(t, addr) == "" {
		t.Errorf("%s: --addr %q has no port", unitFile, addr)
	}
	if d := seconds(t, u.one("Service", "TimeoutStopSec")); d <= drain {
		t.Errorf("%s: TimeoutStopSec=%v must exceed the daemon's %v drain", unitFile, d, drain)
	}
	if r := u.one("Service", "ExecReload"); !regexp.MustCompile(`^/bin/kill -(HUP|SIGHUP|s HUP) \$MAINPID$`).MatchString(r) {
		t.Errorf("%s: ExecReload=%s: want /bin/kill -HUP $MAINPID (SIGHUP reloads the policy)", unitFile, r)
	}
	want := map[string]string{
		"Restart": "on-failure", "DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
		"ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
		"ProtectKernelModules": "yes", "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "RestrictNamespaces": "yes", "LockPersonality": "yes",
		"MemoryDenyWriteExecute": "yes", "SystemCallArchitectures": "native", "SystemCallFilter": "@system-service",
		"CapabilityBoundingSet": "", "UMask": "0077",
	}
	for k, v := range want {
		if got, ok := svc[k]; !ok || got[0] != v {
			t.Errorf("%s: want %s=%s, got %q", unitFile, k, v, got)
		}
	}

	// The settings of env.example (uncommented) and of ExecStart pass the
	// daemon's check, with the policy the install steps copy.
	env := map[string]string{}
	for _, line := range strings.Split(readRepo(t, "deploy/systemd/env.example"), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "#"), "=")
		if ok && regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(k) && v != "" {
			env[k] = v
		}
	}
	checkEnv(t, "deploy/systemd/env.example", daemon, env)
	args := append([]string{}, argv[1:]...)
	for i := range args {
		if args[i] == cfg {
			args[i] = "../policy.yaml"
		}
	}
	runCheck(t, unitFile, env, args...)
}

// TestSystemdAnalyzeVerify runs systemd-analyze verify on the unit. The unit
// names the installed binary, /usr/local/bin/ratelord-d, which a test
// machine does not have, and verify rejects an ExecStart that is not
// executable: the test verifies a copy whose ExecStart runs the binary
// built for these tests, so every other key stays checked. verify exits 0
// even for unknown keys and bad values, so any line about the unit fails.
func TestSystemdAnalyzeVerify(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not on PATH (install systemd to run this check)")
	}
	unitCopy := writeUnitCopy(t)
	out, err := exec.Command(bin, "verify", unitCopy).CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.Contains(line, "ratelord") {
			t.Errorf("systemd-analyze verify: %s", line)
		} else if line != "" {
			t.Logf("systemd-analyze verify (not about the unit): %s", line)
		}
	}
	if err != nil {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unitCopy, err, out)
	}
}

// TestSystemdSecurity keeps the sandbox tight: systemd-analyze security
// rates the unit's exposure from 0 (locked down) to 10; 1.8 today.
func TestSystemdSecurity(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not on PATH (install systemd to run this check)")
	}
	unitCopy := writeUnitCopy(t)
	out, err := exec.Command(bin, "security", "--offline=yes", "--threshold=30", "--no-pager", unitCopy).CombinedOutput()
	if err != nil && strings.Contains(string(out), "unrecognized option") {
		t.Skipf("this systemd-analyze cannot rate a unit file offline: %s", strings.TrimSpace(string(out)))
	}
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 3.0: %v\n%s", err, out)
	}
}

// writeUnitCopy writes the unit with ExecStart pointing at the built binary.
func writeUnitCopy(t *testing.T) string {
	t.Helper()
	lines := strings.Split(readRepo(t, unitFile), "\n")
	replaced := 0
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, "ExecStart=/usr/local/bin/ratelord-d "); ok {
			lines[i] = "ExecStart=" + daemon.path + " " + rest
			replaced++
		}
	}
	if replaced != 1 {
		t.Fatalf("%s: want one ExecStart=/usr/local/bin/ratelord-d line, found %d", unitFile, replaced)
	}
	p := filepath.Join(t.TempDir(), "ratelord.service")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
