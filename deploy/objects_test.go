package deploy

import (
	"fmt"
	"testing"

	keda "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// objects is what an overlay builds, decoded into the API types.
type objects struct {
	deployments  []appsv1.Deployment
	statefulSets []appsv1.StatefulSet
	services     []corev1.Service
	accounts     []corev1.ServiceAccount
	configMaps   []corev1.ConfigMap
	secrets      []corev1.Secret
	namespaces   []corev1.Namespace
	budgets      []policyv1.PodDisruptionBudget
	policies     []networkingv1.NetworkPolicy
	hpas         []autoscalingv2.HorizontalPodAutoscaler
	scaled       []keda.ScaledObject
	triggerAuths []keda.TriggerAuthentication
}

// decoders maps each kind the manifests may hold to where its objects
// go. A kind not listed fails the build: every object is checked against
// its type.
var decoders = map[string]func(o *objects, data []byte) error{
	"apps/v1/Deployment":                     decodeInto(func(o *objects) *[]appsv1.Deployment { return &o.deployments }),
	"apps/v1/StatefulSet":                    decodeInto(func(o *objects) *[]appsv1.StatefulSet { return &o.statefulSets }),
	"v1/Service":                             decodeInto(func(o *objects) *[]corev1.Service { return &o.services }),
	"v1/ServiceAccount":                      decodeInto(func(o *objects) *[]corev1.ServiceAccount { return &o.accounts }),
	"v1/ConfigMap":                           decodeInto(func(o *objects) *[]corev1.ConfigMap { return &o.configMaps }),
	"v1/Secret":                              decodeInto(func(o *objects) *[]corev1.Secret { return &o.secrets }),
	"v1/Namespace":                           decodeInto(func(o *objects) *[]corev1.Namespace { return &o.namespaces }),
	"policy/v1/PodDisruptionBudget":          decodeInto(func(o *objects) *[]policyv1.PodDisruptionBudget { return &o.budgets }),
	"networking.k8s.io/v1/NetworkPolicy":     decodeInto(func(o *objects) *[]networkingv1.NetworkPolicy { return &o.policies }),
	"autoscaling/v2/HorizontalPodAutoscaler": decodeInto(func(o *objects) *[]autoscalingv2.HorizontalPodAutoscaler { return &o.hpas }),
	"keda.sh/v1alpha1/ScaledObject":          decodeInto(func(o *objects) *[]keda.ScaledObject { return &o.scaled }),
	"keda.sh/v1alpha1/TriggerAuthentication": decodeInto(func(o *objects) *[]keda.TriggerAuthentication { return &o.triggerAuths }),
}

// decodeInto decodes strictly, as the API server's strict field
// validation does: an unknown or duplicate field, or a field spelt in
// another case, is an error.
func decodeInto[T any](list func(*objects) *[]T) func(*objects, []byte) error {
	return func(o *objects, data []byte) error {
		var v T
		strict, err := json.UnmarshalStrict(data, &v)
		if err != nil {
			return err
		}
		if len(strict) > 0 {
			return fmt.Errorf("%v", strict)
		}
		*list(o) = append(*list(o), v)
		return nil
	}
}

// build runs kustomize on dir, as `kubectl apply -k` would (files only
// from inside each kustomization's root), and decodes every object.
func build(t testing.TB, dir string) *objects {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	o := &objects{}
	for _, r := range m.Resources() {
		gvk := r.GetGvk()
		key := gvk.Kind
		if gvk.Group != "" {
			key = gvk.Group + "/" + gvk.Version + "/" + key
		} else {
			key = gvk.Version + "/" + key
		}
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("%s %s: %v", key, r.GetName(), err)
		}
		decode, ok := decoders[key]
		if !ok {
			t.Errorf("%s %s: a kind the test does not know; add its type to decoders", key, r.GetName())
			continue
		}
		if err := decode(o, data); err != nil {
			t.Errorf("%s %s does not decode strictly: %v", key, r.GetName(), err)
		}
	}
	return o
}

func (o *objects) deployment(name string) *appsv1.Deployment {
	for i := range o.deployments {
		if o.deployments[i].Name == name {
			return &o.deployments[i]
		}
	}
	return nil
}

func (o *objects) configMap(name string) *corev1.ConfigMap {
	for i := range o.configMaps {
		if o.configMaps[i].Name == name {
			return &o.configMaps[i]
		}
	}
	return nil
}

func (o *objects) secret(name string) *corev1.Secret {
	for i := range o.secrets {
		if o.secrets[i].Name == name {
			return &o.secrets[i]
		}
	}
	return nil
}

// envNames returns the names of the variables a container gets, with
// those of the ConfigMaps and Secrets it takes whole (envFrom), which must
// be in the build.
func (o *objects) envNames(t testing.TB, c corev1.Container) []string {
	t.Helper()
	var names []string
	for _, e := range c.Env {
		names = append(names, e.Name)
	}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm := o.configMap(from.ConfigMapRef.Name)
			if cm == nil {
				t.Errorf("container %s: envFrom ConfigMap %s is not in the build", c.Name, from.ConfigMapRef.Name)
				continue
			}
			for k := range cm.Data {
				names = append(names, from.Prefix+k)
			}
		case from.SecretRef != nil:
			s := o.secret(from.SecretRef.Name)
			if s == nil {
				t.Errorf("container %s: envFrom Secret %s is not in the build", c.Name, from.SecretRef.Name)
				continue
			}
			for k := range s.Data {
				names = append(names, from.Prefix+k)
			}
		}
	}
	return names
}
