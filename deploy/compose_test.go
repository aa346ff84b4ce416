package deploy

import (
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

// composeFile is the part of docker-compose.yml the tests read.
type composeFile struct {
	Services map[string]struct {
		Build *struct {
			Dockerfile string `json:"dockerfile"`
			Target     string `json:"target"`
		} `json:"build"`
		Environment map[string]any `json:"environment"`
		Command     []string       `json:"command"`
	} `json:"services"`
}

// readCompose parses docker-compose.yml; the YAML decoder resolves its
// anchors and merge keys (<<: *common-env) as Compose does.
func readCompose(t testing.TB) composeFile {
	t.Helper()
	b, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f
}

// TestComposeRunsEveryServiceLikeKubernetes: each service is a container
// built from its Dockerfile target, given the variables its Deployment in
// the dev overlay gets (no more, no fewer), all of which it reads.
func TestComposeRunsEveryServiceLikeKubernetes(t *testing.T) {
	f := readCompose(t)
	dev := build(t, "k8s/overlays/dev")
	for _, svc := range services(t) {
		t.Run(svc, func(t *testing.T) {
			s, ok := f.Services[svc]
			if !ok {
				t.Fatalf("docker-compose.yml has no service %s", svc)
			}
			if s.Build == nil || s.Build.Dockerfile != "deploy/docker/Dockerfile" || s.Build.Target != svc {
				t.Errorf("build %+v, want deploy/docker/Dockerfile target %s", s.Build, svc)
			}
			got := slices.Sorted(maps.Keys(s.Environment))
			if bad := unread(got, settings(t, svc)); len(bad) > 0 {
				t.Errorf("given %v, which its configuration does not read", bad)
			}
			d := dev.deployment(svc)
			if d == nil {
				t.Fatalf("no Deployment %s in the dev overlay", svc)
			}
			want := slices.Sorted(slices.Values(dev.envNames(t, d.Spec.Template.Spec.Containers[0])))
			if !slices.Equal(got, want) {
				t.Errorf("Compose gives %v,\nKubernetes gives %v", got, want)
			}
		})
	}
}

var authVariable = regexp.MustCompile(`\$(UPSTATE_[A-Z_]+)`)

// TestNATSGetsTheVariablesOfAuthConf: the NATS server of Compose and of
// the dev overlay gets every variable deploy/nats/auth.conf reads (the
// services' passwords, the reader), and the production values include
// auth.conf and take the same Secret.
func TestNATSGetsTheVariablesOfAuthConf(t *testing.T) {
	b, err := os.ReadFile("nats/auth.conf")
	if err != nil {
		t.Fatal(err)
	}
	var vars []string
	for _, m := range authVariable.FindAllStringSubmatch(string(b), -1) {
		vars = append(vars, m[1])
	}
	slices.Sort(vars)
	vars = slices.Compact(vars)

	f := readCompose(t)
	dev := build(t, "k8s/overlays/dev")
	secret := map[string]bool{}
	if i := slices.IndexFunc(dev.statefulSets, func(s appsv1.StatefulSet) bool { return s.Name == "nats" }); i < 0 {
		t.Error("the dev overlay has no StatefulSet nats")
	} else {
		for _, n := range dev.envNames(t, dev.statefulSets[i].Spec.Template.Spec.Containers[0]) {
			secret[n] = true
		}
	}
	if cmd := strings.Join(f.Services["nats"].Command, " "); !strings.Contains(cmd, "-js -sd /data") || !strings.Contains(cmd, "-c /etc/nats/nats.conf") {
		t.Errorf("docker-compose.yml: NATS runs %q, want JetStream on file storage (-js -sd /data) with deploy/nats/nats.conf", cmd)
	}
	for _, v := range vars {
		if _, ok := f.Services["nats"].Environment[v]; !ok {
			t.Errorf("docker-compose.yml: the nats service does not get %s, which auth.conf reads", v)
		}
		if !secret[v] {
			t.Errorf("dev overlay: the nats StatefulSet does not get %s, which auth.conf reads", v)
		}
	}

	var values struct {
		Config struct {
			Cluster struct {
				Enabled  bool `json:"enabled"`
				Replicas int  `json:"replicas"`
			} `json:"cluster"`
			JetStream struct {
				Enabled bool `json:"enabled"`
			} `json:"jetstream"`
			Merge map[string]any `json:"merge"`
		} `json:"config"`
		Container struct {
			Merge struct {
				EnvFrom []struct {
					SecretRef struct {
						Name string `json:"name"`
					} `json:"secretRef"`
				} `json:"envFrom"`
			} `json:"merge"`
		} `json:"container"`
	}
	vb, err := os.ReadFile("nats/helm-values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(vb, &values); err != nil {
		t.Fatalf("nats/helm-values.yaml: %v", err)
	}
	c := values.Config
	if !c.Cluster.Enabled || c.Cluster.Replicas != 3 || !c.JetStream.Enabled {
		t.Errorf("helm-values.yaml: want a cluster of 3 JetStream servers, have %+v", c)
	}
	if inc, _ := c.Merge["$include"].(string); inc != "upstate-auth.conf" || !strings.Contains(string(vb), `configMap.merge.data.upstate-auth\.conf=deploy/nats/auth.conf`) {
		t.Errorf("helm-values.yaml must include upstate-auth.conf, put in the chart's ConfigMap from deploy/nats/auth.conf")
	}
	if e := values.Container.Merge.EnvFrom; len(e) != 1 || e[0].SecretRef.Name != "upstate-nats" {
		t.Errorf("helm-values.yaml: the servers must read the Secret upstate-nats, have %+v", e)
	}
}

// TestComposeConfig asks Docker Compose itself whether the file is valid,
// where it is installed.
func TestComposeConfig(t *testing.T) {
	if err := exec.Command("docker", "compose", "version").Run(); err != nil {
		t.Skipf("docker compose is not available (%v): docker-compose.yml is checked by the other tests only", err)
	}
	out, err := exec.Command("docker", "compose", "-f", "../docker-compose.yml", "config", "--quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
}
