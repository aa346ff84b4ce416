package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	keda "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
)

// overlay is what the test expects of an overlay.
type overlay struct {
	// autoscaled: production runs the HPAs and ScaledObjects of the base,
	// dev removes them (one replica, no KEDA or metrics-server needed).
	autoscaled bool
	// tag every service's image must carry ("": any; production leaves
	// it to the site's overlay).
	tag string
}

// overlays lists every overlay; a new one must say what it is.
var overlays = map[string]overlay{
	"dev":        {autoscaled: false, tag: "dev"},
	"production": {autoscaled: true},
}

const namespace = "upstate"

func TestOverlays(t *testing.T) {
	dirs, err := filepath.Glob("k8s/overlays/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != len(overlays) {
		t.Errorf("overlays %v, the test knows %v", dirs, overlays)
	}
	svcs := services(t)
	byConsumer := consumers(t)
	for _, dir := range dirs {
		name := filepath.Base(dir)
		want, known := overlays[name]
		if !known {
			t.Errorf("overlay %s: add it to the test's overlays", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := build(t, dir)
			for _, svc := range svcs {
				t.Run(svc, func(t *testing.T) {
					checkService(t, o, svc, want, byConsumer[svc])
				})
			}
			checkPods(t, o, svcs)
			checkNamespace(t, o)
			checkGRPCPolicies(t, o, svcs)
			checkBackends(t, o)
			checkServicePorts(t, o)
			checkSecretsDocumented(t, o)
			if !want.autoscaled && (len(o.hpas) > 0 || len(o.scaled) > 0) {
				t.Errorf("%d HPAs and %d ScaledObjects in an overlay without autoscaling", len(o.hpas), len(o.scaled))
			}
		})
	}
}

// checkService: the service's base is whole, and what it is given is
// what it reads.
func checkService(t *testing.T, o *objects, svc string, want overlay, durables []consumer) {
	autoscaled := want.autoscaled
	d := o.deployment(svc)
	if d == nil {
		t.Fatalf("no Deployment %s: copy a service's directory in deploy/k8s/base (docs/deploy.md, \"Adding a service\")", svc)
	}
	selector := map[string]string{"app.kubernetes.io/name": svc}
	if !mapsEqual(d.Spec.Selector.MatchLabels, selector) {
		t.Errorf("Deployment selector %v, want %v", d.Spec.Selector.MatchLabels, selector)
	}
	if !hasService(o, svc) {
		t.Errorf("no Service %s selecting its pods", svc)
	}
	if sa := d.Spec.Template.Spec.ServiceAccountName; sa != svc || !slices.ContainsFunc(o.accounts, func(a corev1.ServiceAccount) bool { return a.Name == sa }) {
		t.Errorf("pods run as ServiceAccount %q, want its own (%s) in the build", sa, svc)
	}
	if !slices.ContainsFunc(o.budgets, func(b policyv1.PodDisruptionBudget) bool { return mapsEqual(b.Spec.Selector.MatchLabels, selector) }) {
		t.Errorf("no PodDisruptionBudget selecting its pods")
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(d.Spec.Template.Spec.Containers))
	}
	c := d.Spec.Template.Spec.Containers[0]
	if image := "upstate/" + svc; c.Image != image+":"+want.tag && (want.tag != "" || !strings.Contains(c.Image, image)) {
		t.Errorf("image %s, want %s with tag %q (the overlay's images:)", c.Image, image, want.tag)
	}
	if !slices.ContainsFunc(c.EnvFrom, func(e corev1.EnvFromSource) bool {
		return e.ConfigMapRef != nil && strings.HasPrefix(e.ConfigMapRef.Name, svc+"-config")
	}) {
		t.Errorf("its ConfigMap %s-config is not among envFrom", svc)
	}
	if bad := unread(o.envNames(t, c), settings(t, svc)); len(bad) > 0 {
		t.Errorf("given %v, which its configuration does not read (README table %q)", bad, svc)
	}
	checkSecretKeys(t, o, c)
	checkProbes(t, c)

	var hpa, so int
	for _, h := range o.hpas {
		if h.Spec.ScaleTargetRef.Name == svc {
			hpa++
			if h.Spec.ScaleTargetRef.Kind != "Deployment" || len(h.Spec.Metrics) == 0 || h.Spec.Metrics[0].Resource == nil || h.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU {
				t.Errorf("HPA %s: want a Deployment scaled on CPU", h.Name)
			}
		}
	}
	for _, s := range o.scaled {
		if s.Spec.ScaleTargetRef.Name == svc {
			so++
			checkScaledObject(t, o, s, durables)
		}
	}
	switch {
	case !autoscaled:
	case len(durables) > 0 && (so != 1 || hpa != 0):
		t.Errorf("%d ScaledObjects and %d HPAs; a consumer of %v wants one ScaledObject on their lag", so, hpa, durables)
	case len(durables) == 0 && (hpa != 1 || so != 0):
		t.Errorf("%d HPAs and %d ScaledObjects; a service without durable consumers wants one HPA on CPU", hpa, so)
	}
	if autoscaled && d.Spec.Replicas != nil {
		t.Errorf("spec.replicas is %d: the autoscaler owns the count, and apply would reset it", *d.Spec.Replicas)
	}
}

func hasService(o *objects, svc string) bool {
	return slices.ContainsFunc(o.services, func(s corev1.Service) bool {
		return s.Name == svc && s.Spec.Selector["app.kubernetes.io/name"] == svc
	})
}

// checkServicePorts: a Service's named target ports exist on the pods it
// selects.
func checkServicePorts(t *testing.T, o *objects) {
	for _, s := range o.services {
		var ports []corev1.ContainerPort
		for _, d := range o.deployments {
			if mapsEqual(d.Spec.Selector.MatchLabels, s.Spec.Selector) {
				ports = d.Spec.Template.Spec.Containers[0].Ports
			}
		}
		for _, ss := range o.statefulSets {
			if mapsEqual(ss.Spec.Selector.MatchLabels, s.Spec.Selector) {
				ports = ss.Spec.Template.Spec.Containers[0].Ports
			}
		}
		if ports == nil {
			t.Errorf("Service %s selects no pods of the build", s.Name)
			continue
		}
		for _, p := range s.Spec.Ports {
			if p.TargetPort.StrVal != "" && !slices.ContainsFunc(ports, func(c corev1.ContainerPort) bool { return c.Name == p.TargetPort.StrVal }) {
				t.Errorf("Service %s: target port %s is no port of its pods", s.Name, p.TargetPort.StrVal)
			}
		}
	}
}

// jetStreamParameters are the metadata KEDA's nats-jetstream scaler reads
// (its metadata is a free map, which strict decoding cannot check).
var jetStreamParameters = map[string]bool{
	"natsServerMonitoringEndpoint": true, "account": true, "stream": true, "consumer": true,
	"lagThreshold": true, "activationLagThreshold": true, "useHttps": true,
}

// checkScaledObject: one nats-jetstream trigger per durable consumer of
// the service, no more, each reading the monitoring endpoint through a
// TriggerAuthentication in the build.
func checkScaledObject(t *testing.T, o *objects, s keda.ScaledObject, durables []consumer) {
	var got []consumer
	for _, tr := range s.Spec.Triggers {
		if tr.Type != "nats-jetstream" {
			t.Errorf("ScaledObject %s: trigger %q, want nats-jetstream", s.Name, tr.Type)
			continue
		}
		got = append(got, consumer{tr.Metadata["stream"], tr.Metadata["consumer"]})
		for k := range tr.Metadata {
			if !jetStreamParameters[k] {
				t.Errorf("ScaledObject %s: %q is no parameter of the nats-jetstream scaler", s.Name, k)
			}
		}
		if tr.Metadata["lagThreshold"] == "" || tr.Metadata["account"] == "" {
			t.Errorf("ScaledObject %s: trigger %v needs lagThreshold and account", s.Name, tr.Metadata)
		}
		if tr.AuthenticationRef == nil || !slices.ContainsFunc(o.triggerAuths, func(a keda.TriggerAuthentication) bool {
			return a.Name == tr.AuthenticationRef.Name && slices.ContainsFunc(a.Spec.SecretTargetRef, func(r keda.AuthSecretTargetRef) bool {
				return r.Parameter == "natsServerMonitoringEndpoint"
			})
		}) {
			t.Errorf("ScaledObject %s: trigger on %s needs a TriggerAuthentication with natsServerMonitoringEndpoint", s.Name, tr.Metadata["consumer"])
		}
	}
	less := func(a, b consumer) int { return strings.Compare(a.stream+"."+a.durable, b.stream+"."+b.durable) }
	want := slices.Clone(durables)
	slices.SortFunc(got, less)
	slices.SortFunc(want, less)
	if !slices.Equal(got, want) {
		t.Errorf("ScaledObject %s triggers on %v, the service's durable consumers (deploy/nats/auth.conf) are %v", s.Name, got, want)
	}
	if s.Spec.MinReplicaCount == nil || *s.Spec.MinReplicaCount < 1 {
		t.Errorf("ScaledObject %s: minReplicaCount must be at least 1 (a consumer scaled to 0 would not report its lag)", s.Name)
	}
}

// checkSecretKeys: a Secret the overlay builds itself must hold every key
// a container reads from it.
func checkSecretKeys(t *testing.T, o *objects, c corev1.Container) {
	for _, e := range c.Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if s := o.secret(ref.Name); s != nil {
			if _, ok := s.Data[ref.Key]; !ok {
				t.Errorf("%s: Secret %s has no key %s", e.Name, ref.Name, ref.Key)
			}
		}
	}
}

// checkProbes: the services' own health endpoints, on their HTTP port.
func checkProbes(t *testing.T, c corev1.Container) {
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"startupProbe", c.StartupProbe, "/livez"},
		{"livenessProbe", c.LivenessProbe, "/livez"},
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("container %s: no HTTP %s", c.Name, p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("container %s: %s on %s port %s, want %s port http", c.Name, p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path)
		}
	}
	if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "http" }) {
		t.Errorf("container %s: no port named http", c.Name)
	}
}

// checkPods: every pod the overlay runs (the services', and dev's NATS and
// Postgres) meets the "restricted" Pod Security Standard the namespace
// enforces, has probes, and has resource requests and limits.
func checkPods(t *testing.T, o *objects, svcs []string) {
	type pod struct {
		kind, name string
		spec       corev1.PodSpec
	}
	var pods []pod
	for _, d := range o.deployments {
		pods = append(pods, pod{"Deployment", d.Name, d.Spec.Template.Spec})
		if !slices.Contains(svcs, d.Name) {
			t.Errorf("Deployment %s is no service of services/", d.Name)
		}
	}
	for _, s := range o.statefulSets {
		pods = append(pods, pod{"StatefulSet", s.Name, s.Spec.Template.Spec})
	}
	for _, p := range pods {
		where := p.kind + " " + p.name
		sc := p.spec.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
			t.Errorf("%s: the pod must run as a non-root numeric user (runAsNonRoot, runAsUser)", where)
		}
		if sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: the pod needs seccompProfile RuntimeDefault", where)
		}
		if p.spec.AutomountServiceAccountToken == nil || *p.spec.AutomountServiceAccountToken {
			t.Errorf("%s: automountServiceAccountToken must be false (no pod calls the Kubernetes API)", where)
		}
		for _, c := range slices.Concat(p.spec.InitContainers, p.spec.Containers) {
			checkContainer(t, where, c)
		}
	}
}

func checkContainer(t *testing.T, where string, c corev1.Container) {
	where += " container " + c.Name
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Errorf("%s: no securityContext", where)
		return
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("%s: allowPrivilegeEscalation must be false", where)
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("%s: readOnlyRootFilesystem must be true", where)
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
		t.Errorf("%s: capabilities must drop ALL and add none", where)
	case sc.Privileged != nil && *sc.Privileged:
		t.Errorf("%s: privileged", where)
	}
	if c.LivenessProbe == nil || c.ReadinessProbe == nil {
		t.Errorf("%s: needs liveness and readiness probes", where)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("%s: no %s request", where, r)
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Errorf("%s: no memory limit", where)
	}
}

// checkNamespace: everything lands in the namespace that enforces the
// restricted Pod Security Standard.
func checkNamespace(t *testing.T, o *objects) {
	if len(o.namespaces) != 1 || o.namespaces[0].Name != namespace ||
		o.namespaces[0].Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("want the one Namespace %s enforcing the restricted Pod Security Standard", namespace)
	}
	for _, d := range o.deployments {
		if d.Namespace != namespace {
			t.Errorf("Deployment %s in namespace %q", d.Name, d.Namespace)
		}
	}
}

// checkGRPCPolicies: a service's gRPC port admits exactly the services
// whose configuration names it (UPSTATE_<SERVICE>_GRPC_TARGET), so that
// the NetworkPolicies follow the configuration.
func checkGRPCPolicies(t *testing.T, o *objects, svcs []string) {
	callers := map[string][]string{}
	for _, svc := range svcs {
		d := o.deployment(svc)
		if d == nil {
			continue
		}
		for _, name := range o.envNames(t, d.Spec.Template.Spec.Containers[0]) {
			if target, ok := strings.CutSuffix(name, "_GRPC_TARGET"); ok {
				callee := strings.ToLower(strings.TrimPrefix(target, "UPSTATE_"))
				callers[callee] = append(callers[callee], svc)
			}
		}
	}
	for _, svc := range svcs {
		d := o.deployment(svc)
		if d == nil || !slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Ports, func(p corev1.ContainerPort) bool { return p.Name == "grpc" }) {
			continue
		}
		var admitted []string
		for _, p := range o.policies {
			if p.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] != svc {
				continue
			}
			for _, in := range p.Spec.Ingress {
				if !slices.ContainsFunc(in.Ports, func(pp networkingv1.NetworkPolicyPort) bool { return pp.Port != nil && pp.Port.String() == "grpc" }) {
					continue
				}
				for _, from := range in.From {
					if from.PodSelector == nil || from.NamespaceSelector != nil || from.IPBlock != nil {
						t.Errorf("NetworkPolicy %s admits gRPC from %v: name the calling services' pods", p.Name, from)
						continue
					}
					admitted = append(admitted, from.PodSelector.MatchLabels["app.kubernetes.io/name"])
				}
			}
		}
		want := callers[svc]
		slices.Sort(admitted)
		slices.Sort(want)
		if !slices.Equal(admitted, want) {
			t.Errorf("%s: its NetworkPolicy admits gRPC from %v; the services configured to call it are %v", svc, admitted, want)
		}
	}
}

// checkBackends: a pod given DATABASE_URL (UPSTATE_NATS_URL) carries the
// label that the overlay's policy allow-postgres (allow-nats) lets out,
// and the overlay has that policy.
func checkBackends(t *testing.T, o *objects) {
	for _, b := range []struct{ env, label, policy string }{
		{"DATABASE_URL", "upstate/postgres", "allow-postgres"},
		{"UPSTATE_NATS_URL", "upstate/nats", "allow-nats"},
	} {
		i := slices.IndexFunc(o.policies, func(p networkingv1.NetworkPolicy) bool { return p.Name == b.policy })
		if i < 0 {
			t.Errorf("no NetworkPolicy %s", b.policy)
			continue
		}
		sel := o.policies[i].Spec.PodSelector.MatchLabels
		if len(sel) != 1 || sel[b.label] == "" || len(o.policies[i].Spec.Egress) == 0 {
			t.Errorf("NetworkPolicy %s must select the pods labelled %s and allow egress", b.policy, b.label)
			continue
		}
		for _, d := range o.deployments {
			gets := slices.Contains(o.envNames(t, d.Spec.Template.Spec.Containers[0]), b.env)
			labelled := d.Spec.Template.Labels[b.label] == sel[b.label]
			if gets != labelled {
				t.Errorf("Deployment %s: given %s = %v, but labelled %s = %v", d.Name, b.env, gets, b.label, labelled)
			}
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkSecretsDocumented: every Secret key a pod or KEDA reads and the
// overlay does not make is one docs/deploy.md tells the operator to
// create (its table "Secrets").
func checkSecretsDocumented(t *testing.T, o *objects) {
	b, err := os.ReadFile("../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	check := func(secret, key string) {
		if o.secret(secret) != nil {
			return
		}
		if strings.HasPrefix(key, "UPSTATE_NATS_") && strings.HasSuffix(key, "_PASSWORD") {
			key = "UPSTATE_NATS_<SERVICE>_PASSWORD"
		}
		if !strings.Contains(doc, "`"+secret+"`") || !strings.Contains(doc, "`"+key+"`") {
			t.Errorf("docs/deploy.md does not tell to create Secret %s with key %s", secret, key)
		}
	}
	for _, d := range o.deployments {
		for _, e := range d.Spec.Template.Spec.Containers[0].Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				check(e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
			}
		}
	}
	for _, a := range o.triggerAuths {
		for _, r := range a.Spec.SecretTargetRef {
			check(r.Name, r.Key)
		}
	}
}
