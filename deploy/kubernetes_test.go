package deploy_test

import (
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// daemonContainer returns the pod's ratelord-d container: the one running
// the image that kustomization.yaml sets.
func daemonContainer(t *testing.T, pod podSpec) container {
	t.Helper()
	var k kustomization
	mustYAML(t, k8s+"kustomization.yaml", &k)
	if len(k.Images) != 1 {
		t.Fatalf("kustomization.yaml: want one image (ratelord's), got %v", k.Images)
	}
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		if c.image() == k.Images[0].Name {
			return c
		}
	}
	t.Fatalf("deployment.yaml: no container runs the image %q of kustomization.yaml", k.Images[0].Name)
	return container{}
}

func TestKubernetesSidecar(t *testing.T) {
	t.Parallel()
	var d deployment
	var cm configMap
	var claim pvc
	mustYAML(t, k8s+"deployment.yaml", &d)
	mustYAML(t, k8s+"configmap.yaml", &cm)
	mustYAML(t, k8s+"pvc.yaml", &claim)
	pod := d.Spec.Template.Spec
	rl := daemonContainer(t, pod)
	if slices.ContainsFunc(pod.InitContainers, func(c container) bool { return c.Name == rl.Name }) && rl.RestartPolicy != "Always" {
		t.Errorf("deployment.yaml: %s is an init container without restartPolicy: Always, so it is no sidecar", rl.Name)
	}
	env := rl.env()
	checkEnv(t, "deployment.yaml "+rl.Name, daemon, env)
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		if c.Name != rl.Name {
			checkEnv(t, "deployment.yaml "+c.Name+" (uses the API as the CLI does)", cli, c.env())
		}
	}
	if argv := slices.Concat(rl.Command, rl.Args); len(rl.Command) > 0 {
		checkArgv(t, "deployment.yaml "+rl.Name+" command", argv)
	} else if len(argv) > 0 {
		checkArgv(t, "deployment.yaml "+rl.Name+" args", slices.Concat([]string{"ratelord-d"}, argv))
	}

	// The database on the PVC, the policy on the ConfigMap.
	db, cfg, addr := env["RATELORD_DB_PATH"], env["RATELORD_CONFIG_PATH"], env["RATELORD_ADDR"]
	var dbOnPVC, policyOnCM bool
	for _, m := range rl.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name != m.Name {
				continue
			}
			if v.PVC != nil && v.PVC.ClaimName == claim.Metadata.Name && under(db, m.MountPath) {
				dbOnPVC = true
			}
			if v.ConfigMap != nil && v.ConfigMap.Name == cm.Metadata.Name && under(cfg, m.MountPath) {
				policyOnCM = cm.Data[strings.TrimPrefix(cfg, m.MountPath+"/")] != ""
				if m.SubPath != "" {
					t.Errorf("deployment.yaml: the ConfigMap is mounted with subPath, which never updates: a reload would read the old policy")
				}
			}
		}
	}
	if !dbOnPVC {
		t.Errorf("deployment.yaml: RATELORD_DB_PATH %q is not on the PVC %s", db, claim.Metadata.Name)
	}
	if !policyOnCM {
		t.Errorf("deployment.yaml: RATELORD_CONFIG_PATH %q is not a key of the ConfigMap %s mounted in %s", cfg, cm.Metadata.Name, rl.Name)
	}
	if !slices.Equal(claim.Spec.AccessModes, []string{"ReadWriteOnce"}) && !slices.Equal(claim.Spec.AccessModes, []string{"ReadWriteOncePod"}) {
		t.Errorf("pvc.yaml: accessModes %v: one SQLite file has one writer", claim.Spec.AccessModes)
	}

	// One port everywhere; the kubelet must be able to reach what it probes.
	port := portOf(t, addr)
	if len(rl.Ports) != 1 || strconv.Itoa(rl.Ports[0].ContainerPort) != port {
		t.Errorf("deployment.yaml: containerPort %v, but RATELORD_ADDR %s", rl.Ports, addr)
	}
	host, _, _ := net.SplitHostPort(addr)
	loopback := host == "localhost" || (net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback())
	for name, p := range map[string]*probe{"readinessProbe": rl.ReadinessProbe, "livenessProbe": rl.LivenessProbe, "startupProbe": rl.StartupProbe} {
		switch {
		case p == nil && name != "startupProbe":
			t.Errorf("deployment.yaml: %s has no %s", rl.Name, name)
		case p == nil:
		case p.Exec != nil:
			checkArgv(t, "deployment.yaml "+name, p.Exec.Command)
			if !reaches(t, urlFlag(p.Exec.Command), addr) {
				t.Errorf("deployment.yaml: %s %q does not reach RATELORD_ADDR %s", name, p.Exec.Command, addr)
			}
		case p.HTTPGet != nil:
			if loopback {
				t.Errorf("deployment.yaml: %s is an httpGet probe, but the kubelet cannot reach RATELORD_ADDR %s: use an exec probe or bind 0.0.0.0", name, addr)
			}
			if got, _ := yaml.Marshal(p.HTTPGet.Port); strings.TrimSpace(string(got)) != port {
				t.Errorf("deployment.yaml: %s probes port %v, the daemon listens on %s", name, p.HTTPGet.Port, port)
			}
			if want := map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"}[name]; want != "" && p.HTTPGet.Path != want {
				t.Errorf("deployment.yaml: %s path %q, want %s", name, p.HTTPGet.Path, want)
			}
		default:
			t.Errorf("deployment.yaml: %s is neither exec nor httpGet", name)
		}
	}

	// One writer, and time to drain.
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != "Recreate" {
		t.Errorf("deployment.yaml: want replicas: 1 and strategy Recreate (one SQLite file, one writer), got %s, %q", show(d.Spec.Replicas), d.Spec.Strategy.Type)
	}
	if g := pod.TerminationGracePeriodSeconds; g == nil || *g < 45 {
		t.Errorf("deployment.yaml: terminationGracePeriodSeconds %s: want at least 45, beyond the daemon's %v drain", show(g), drain)
	}
	if nonRoot := pod.SecurityContext.RunAsNonRoot; (nonRoot == nil || !*nonRoot) && (rl.SecurityContext.RunAsNonRoot == nil || !*rl.SecurityContext.RunAsNonRoot) {
		t.Errorf("deployment.yaml: runAsNonRoot is not set")
	}
	if ro := rl.SecurityContext.ReadOnlyRootFilesystem; ro == nil || !*ro {
		t.Errorf("deployment.yaml: %s: set readOnlyRootFilesystem", rl.Name)
	}
	if rl.Resources.Requests["memory"] == "" || rl.Resources.Limits["memory"] == "" {
		t.Errorf("deployment.yaml: %s: set memory requests and limits, got %+v", rl.Name, rl.Resources)
	}

	// The policy of the ConfigMap, with the container's env, passes --check.
	f := filepath.Join(t.TempDir(), path.Base(cfg))
	if err := os.WriteFile(f, []byte(cm.Data[path.Base(cfg)]), 0o644); err != nil {
		t.Fatal(err)
	}
	runCheck(t, "configmap.yaml", env, "--config", f)
}

// show prints an optional number.
func show(n *int) string {
	if n == nil {
		return "unset"
	}
	return strconv.Itoa(*n)
}

func TestKustomization(t *testing.T) {
	t.Parallel()
	var k kustomization
	mustYAML(t, k8s+"kustomization.yaml", &k)
	want := []string{"configmap.yaml", "pvc.yaml", "deployment.yaml"}
	if !slices.Equal(slices.Sorted(slices.Values(k.Resources)), slices.Sorted(slices.Values(want))) {
		t.Errorf("kustomization.yaml: resources %v, want %v", k.Resources, want)
	}
	for kind, file := range map[string]string{"ConfigMap": "configmap.yaml", "PersistentVolumeClaim": "pvc.yaml", "Deployment": "deployment.yaml"} {
		var obj struct {
			Kind string `yaml:"kind"`
		}
		mustYAML(t, k8s+file, &obj)
		if obj.Kind != kind {
			t.Errorf("%s: kind %q, want %s", file, obj.Kind, kind)
		}
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl is not on PATH: the kustomization was not built")
		return
	}
	out, err := exec.Command(kubectl, "kustomize", "../"+k8s).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, out)
	}
	if n := len(regexp.MustCompile(`(?m)^kind: `).FindAll(out, -1)); n != 3 {
		t.Errorf("kubectl kustomize produced %d objects, want 3:\n%s", n, out)
	}
}
