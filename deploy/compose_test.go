package deploy_test

import (
	"maps"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// composeFile is the part of docker-compose.yml these tests read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Build           any               `yaml:"build"`
	Environment     map[string]string `yaml:"environment"`
	Ports           []string          `yaml:"ports"`
	Volumes         []string          `yaml:"volumes"`
	Entrypoint      []string          `yaml:"entrypoint"`
	Command         []string          `yaml:"command"`
	StopSignal      string            `yaml:"stop_signal"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	Healthcheck     struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

var interpolateRE = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?:(:?[-?])([^}]*))?\}`)

// interpolate resolves ${VAR}, ${VAR:-default} and ${VAR:?message} as
// compose would with none of the variables set, except that a required
// variable gets a placeholder.
func interpolate(s string) string {
	return interpolateRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := interpolateRE.FindStringSubmatch(m)
		switch strings.TrimPrefix(sub[2], ":") {
		case "-":
			return sub[3]
		case "?":
			return "set-by-the-operator"
		}
		return ""
	})
}

func TestCompose(t *testing.T) {
	t.Parallel()
	var f composeFile
	if err := yaml.Unmarshal([]byte(readRepo(t, "docker-compose.yml")), &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	svc, ok := f.Services["ratelord"]
	if !ok {
		t.Fatalf("docker-compose.yml: no service ratelord in %v", keys(f.Services))
	}
	checkEnv(t, "docker-compose.yml environment", daemon, svc.Environment)
	// The service runs the image of the Dockerfile: its ENV, then these.
	env := maps.Clone(readDockerfile(t).env)
	for k, v := range svc.Environment {
		env[k] = interpolate(v)
	}
	db, cfg, addr := env["RATELORD_DB_PATH"], env["RATELORD_CONFIG_PATH"], env["RATELORD_ADDR"]

	var dbOnVolume bool
	var policySource string
	for _, v := range svc.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			t.Errorf("docker-compose.yml: volume %q: want SOURCE:TARGET[:ro]", v)
			continue
		}
		src, dst := parts[0], parts[1]
		_, named := f.Volumes[src]
		if named && under(db, dst) {
			dbOnVolume = true
		}
		if dst == cfg || under(cfg, dst) {
			if len(parts) < 3 || parts[2] != "ro" {
				t.Errorf("docker-compose.yml: the policy mount %q is not read-only", v)
			}
			policySource = path.Join(src, strings.TrimPrefix(cfg, dst))
		}
	}
	if !dbOnVolume {
		t.Errorf("docker-compose.yml: RATELORD_DB_PATH %q is not on a named volume: %v", db, svc.Volumes)
	}
	if policySource == "" {
		t.Errorf("docker-compose.yml: nothing is mounted at RATELORD_CONFIG_PATH %q: %v", cfg, svc.Volumes)
	} else {
		readRepo(t, policySource) // the file exists beside the compose file
		runCheck(t, "docker-compose.yml", env, "--config", "../"+policySource)
	}

	port := portOf(t, addr)
	var published bool
	for _, p := range svc.Ports {
		parts := strings.Split(strings.TrimSuffix(p, "/tcp"), ":")
		if parts[len(parts)-1] == port {
			published = true
		}
	}
	if !published {
		t.Errorf("docker-compose.yml: ports %v do not publish RATELORD_ADDR's port %s", svc.Ports, port)
	}

	test := svc.Healthcheck.Test
	if len(test) < 2 || test[0] != "CMD" {
		t.Fatalf("docker-compose.yml: healthcheck test %q: want [\"CMD\", \"/usr/local/bin/ratelord\", ...] (no shell in the image)", test)
	}
	checkArgv(t, "docker-compose.yml healthcheck", test[1:])
	if !reaches(t, urlFlag(test[1:]), addr) {
		t.Errorf("docker-compose.yml: healthcheck %q does not reach RATELORD_ADDR %s", test, addr)
	}
	if len(svc.Entrypoint) > 0 {
		checkArgv(t, "docker-compose.yml entrypoint", svc.Entrypoint)
	}
	if len(svc.Command) > 0 {
		checkArgv(t, "docker-compose.yml command", append([]string{"ratelord-d"}, svc.Command...))
	}

	if svc.StopSignal != "SIGTERM" {
		t.Errorf("docker-compose.yml: stop_signal %q: the daemon drains on SIGTERM", svc.StopSignal)
	}
	if d, err := time.ParseDuration(svc.StopGracePeriod); err != nil || d <= drain {
		t.Errorf("docker-compose.yml: stop_grace_period %q (%v): must exceed the daemon's %v drain", svc.StopGracePeriod, err, drain)
	}
}
