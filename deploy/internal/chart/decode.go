package chart

import (
	"fmt"
	"sort"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Objects are a render's decoded objects by kind and name.
type Objects map[string]map[string]any

// types are the API version and Go type of every kind the chart may
// render. A kind missing here, or a field its type does not have, fails
// the decoding.
var types = map[string]struct {
	apiVersion string
	new        func() any
}{
	"ConfigMap":               {"v1", func() any { return &corev1.ConfigMap{} }},
	"Service":                 {"v1", func() any { return &corev1.Service{} }},
	"ServiceAccount":          {"v1", func() any { return &corev1.ServiceAccount{} }},
	"Deployment":              {"apps/v1", func() any { return &appsv1.Deployment{} }},
	"StatefulSet":             {"apps/v1", func() any { return &appsv1.StatefulSet{} }},
	"HorizontalPodAutoscaler": {"autoscaling/v2", func() any { return &autoscalingv2.HorizontalPodAutoscaler{} }},
	"PodDisruptionBudget":     {"policy/v1", func() any { return &policyv1.PodDisruptionBudget{} }},
	"Ingress":                 {"networking.k8s.io/v1", func() any { return &networkingv1.Ingress{} }},
	"ServiceMonitor":          {"monitoring.coreos.com/v1", func() any { return &monitoringv1.ServiceMonitor{} }},
	"PodMonitor":              {"monitoring.coreos.com/v1", func() any { return &monitoringv1.PodMonitor{} }},
	"PrometheusRule":          {"monitoring.coreos.com/v1", func() any { return &monitoringv1.PrometheusRule{} }},
	"ScaledObject":            {"keda.sh/v1alpha1", func() any { return &ScaledObject{} }},
}

// Decode decodes every document strictly into its kind's type.
func Decode(docs []string) (Objects, error) {
	objs := Objects{}
	for _, doc := range docs {
		var head metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			return nil, err
		}
		t, ok := types[head.Kind]
		if !ok {
			return nil, fmt.Errorf("unexpected kind %q", head.Kind)
		}
		if head.APIVersion != t.apiVersion {
			return nil, fmt.Errorf("%s has apiVersion %q, want %q", head.Kind, head.APIVersion, t.apiVersion)
		}
		obj := t.new()
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			return nil, fmt.Errorf("%s: %w\n%s", head.Kind, err, doc)
		}
		name := obj.(interface{ GetName() string }).GetName()
		if objs[head.Kind] == nil {
			objs[head.Kind] = map[string]any{}
		}
		if _, dup := objs[head.Kind][name]; dup {
			return nil, fmt.Errorf("two %s named %s", head.Kind, name)
		}
		objs[head.Kind][name] = obj
	}
	return objs, nil
}

// Kinds lists the kinds decoded, sorted.
func (o Objects) Kinds() []string {
	kinds := make([]string, 0, len(o))
	for k := range o {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// One returns the only object of a kind, or nil.
func One[T any](o Objects, kind string) *T {
	if len(o[kind]) != 1 {
		return nil
	}
	for _, v := range o[kind] {
		return v.(*T)
	}
	return nil
}

// ScaledObject is KEDA's keda.sh/v1alpha1 ScaledObject, with the fields
// its documentation lists (keda.sh/docs/latest/reference/scaledobject-spec):
// the chart must not render one KEDA would not take.
type ScaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion    string `json:"apiVersion,omitempty"`
			Kind          string `json:"kind,omitempty"`
			Name          string `json:"name"`
			EnvSourceName string `json:"envSourceContainerName,omitempty"`
		} `json:"scaleTargetRef"`
		PollingInterval  *int32 `json:"pollingInterval,omitempty"`
		CooldownPeriod   *int32 `json:"cooldownPeriod,omitempty"`
		IdleReplicaCount *int32 `json:"idleReplicaCount,omitempty"`
		MinReplicaCount  *int32 `json:"minReplicaCount,omitempty"`
		MaxReplicaCount  *int32 `json:"maxReplicaCount,omitempty"`
		Advanced         *struct {
			RestoreToOriginalReplicaCount bool `json:"restoreToOriginalReplicaCount,omitempty"`
			HorizontalPodAutoscalerConfig *struct {
				Name     string                                         `json:"name,omitempty"`
				Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
			} `json:"horizontalPodAutoscalerConfig,omitempty"`
		} `json:"advanced,omitempty"`
		Triggers []Trigger `json:"triggers"`
	} `json:"spec"`
}

// Trigger is one of a ScaledObject's triggers.
type Trigger struct {
	Type              string            `json:"type"`
	Name              string            `json:"name,omitempty"`
	MetricType        string            `json:"metricType,omitempty"`
	Metadata          map[string]string `json:"metadata"`
	AuthenticationRef *struct {
		Name string `json:"name"`
		Kind string `json:"kind,omitempty"`
	} `json:"authenticationRef,omitempty"`
}

// KafkaScalerKeys are the metadata keys KEDA's Kafka scaler documents
// (keda.sh/docs/latest/scalers/apache-kafka).
var KafkaScalerKeys = map[string]bool{
	"bootstrapServers": true, "consumerGroup": true, "topic": true, "lagThreshold": true,
	"activationLagThreshold": true, "offsetResetPolicy": true, "allowIdleConsumers": true,
	"excludePersistentLag": true, "limitToPartitionsWithLag": true, "ensureEvenDistributionOfPartitions": true,
	"scaleToZeroOnInvalidOffset": true, "version": true, "partitionLimitation": true,
	"sasl": true, "tls": true,
}
