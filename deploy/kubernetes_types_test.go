package deploy_test

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const k8s = "deploy/kubernetes/"

// The parts of the Kubernetes objects these tests read.
type (
	k8sMeta struct {
		Name string `yaml:"name"`
	}
	configMap struct {
		Kind     string            `yaml:"kind"`
		Metadata k8sMeta           `yaml:"metadata"`
		Data     map[string]string `yaml:"data"`
	}
	pvc struct {
		Kind     string  `yaml:"kind"`
		Metadata k8sMeta `yaml:"metadata"`
		Spec     struct {
			AccessModes []string `yaml:"accessModes"`
		} `yaml:"spec"`
	}
	deployment struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Replicas *int `yaml:"replicas"`
			Strategy struct {
				Type string `yaml:"type"`
			} `yaml:"strategy"`
			Template struct {
				Spec podSpec `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	podSpec struct {
		TerminationGracePeriodSeconds *int `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		} `yaml:"securityContext"`
		InitContainers []container `yaml:"initContainers"`
		Containers     []container `yaml:"containers"`
		Volumes        []struct {
			Name string `yaml:"name"`
			PVC  *struct {
				ClaimName string `yaml:"claimName"`
			} `yaml:"persistentVolumeClaim"`
			ConfigMap *struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
		} `yaml:"volumes"`
	}
	container struct {
		Name          string   `yaml:"name"`
		Image         string   `yaml:"image"`
		RestartPolicy string   `yaml:"restartPolicy"`
		Command       []string `yaml:"command"`
		Args          []string `yaml:"args"`
		Env           []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom any    `yaml:"valueFrom"`
		} `yaml:"env"`
		Ports []struct {
			ContainerPort int `yaml:"containerPort"`
		} `yaml:"ports"`
		StartupProbe   *probe `yaml:"startupProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext struct {
			RunAsNonRoot           *bool `yaml:"runAsNonRoot"`
			ReadOnlyRootFilesystem *bool `yaml:"readOnlyRootFilesystem"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			SubPath   string `yaml:"subPath"`
		} `yaml:"volumeMounts"`
	}
	probe struct {
		Exec *struct {
			Command []string `yaml:"command"`
		} `yaml:"exec"`
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port any    `yaml:"port"`
		} `yaml:"httpGet"`
	}
	kustomization struct {
		Resources []string `yaml:"resources"`
		Images    []struct {
			Name string `yaml:"name"`
		} `yaml:"images"`
	}
)

func mustYAML(t *testing.T, name string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(readRepo(t, name)), v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// env returns the container's environment; a value from a Secret or a
// field is a placeholder.
func (c container) env() map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
		if e.ValueFrom != nil {
			env[e.Name] = "from-" + e.Name
		}
	}
	return env
}

// image returns the image's name without its tag.
func (c container) image() string {
	name, _, _ := strings.Cut(c.Image, ":")
	return name
}
