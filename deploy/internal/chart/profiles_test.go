package chart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// renderValues renders a profile with values given inline.
func renderValues(t *testing.T, profile, values string) (Rendered, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "values.yaml")
	require.NoError(t, os.WriteFile(f, []byte(values), 0o600))
	return Render(chartDir, filepath.Join(chartDir, "values-"+profile+".yaml"), f)
}

func renderObjects(t *testing.T, profile, values string) Objects {
	t.Helper()
	r, err := renderValues(t, profile, values)
	require.NoError(t, err)
	objs, err := Decode(r.Documents())
	require.NoError(t, err)
	return objs
}

const kafkaValues = `
kafka:
  brokers: [k1:9093, k2:9093]
  partitions: 8
  sasl: {secret: {name: kafka-user}}
`

// What each profile renders, checked against what the issue and
// docs/deploy.md ask for, written out here by hand.
func TestProfiles(t *testing.T) {
	t.Run("single", func(t *testing.T) {
		objs := renderObjects(t, "single", "liveview: {passwordSecret: {name: lv}}\n")
		assert.Equal(t, []string{"ConfigMap", "Service", "ServiceAccount", "StatefulSet"}, objs.Kinds())
		sts := One[appsv1.StatefulSet](objs, "StatefulSet")
		assert.Equal(t, int32(1), *sts.Spec.Replicas)
		require.Len(t, sts.Spec.VolumeClaimTemplates, 1)
		assert.Equal(t, "data", sts.Spec.VolumeClaimTemplates[0].Name)
		c := sts.Spec.Template.Spec.Containers[0]
		assert.Contains(t, c.VolumeMounts, corev1.VolumeMount{Name: "data", MountPath: "/var/lib/footfall"})
		pw, ok := envValue(c, "FOOTFALL_LIVEVIEW_PASSWORD")
		require.True(t, ok)
		assert.Equal(t, "lv", pw.ValueFrom.SecretKeyRef.Name)
		assert.ElementsMatch(t, []string{"intake", "metrics", "telemetry"}, servicePorts(objs))
		proxies, ok := envValue(c, "FOOTFALL_TRUSTED_PROXIES")
		require.True(t, ok, "the single node reads the proxies too")
		assert.Equal(t, "[]", proxies.Value)
		assertHardened(t, sts.Spec.Template.Spec)
		gomem, _ := envValue(c, "GOMEMLIMIT")
		assert.Equal(t, "819MiB", gomem.Value, "80% of the default 1Gi limit")
	})
	t.Run("gateway", func(t *testing.T) {
		objs := renderObjects(t, "gateway", kafkaValues+"saltSecret: {name: salt}\ntrustedProxies: [10.2.0.0/16, 10.3.0.0/16]\nresources: {limits: {memory: 2G}}\n")
		assert.Equal(t, []string{"ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service", "ServiceAccount"}, objs.Kinds())
		d := One[appsv1.Deployment](objs, "Deployment")
		assert.Nil(t, d.Spec.Replicas, "the HPA owns the replica count")
		c := d.Spec.Template.Spec.Containers[0]
		salt, _ := envValue(c, "FOOTFALL_SALT_SECRET")
		assert.Equal(t, "salt", salt.ValueFrom.SecretKeyRef.Name)
		proxies, _ := envValue(c, "FOOTFALL_TRUSTED_PROXIES")
		assert.Equal(t, "[10.2.0.0/16,10.3.0.0/16]", proxies.Value)
		gomem, _ := envValue(c, "GOMEMLIMIT")
		assert.Equal(t, "1525MiB", gomem.Value, "80% of 2G = 1.6e9 bytes")
		hpa := One[autoscalingv2.HorizontalPodAutoscaler](objs, "HorizontalPodAutoscaler")
		assert.Equal(t, "Deployment", hpa.Spec.ScaleTargetRef.Kind)
		require.Len(t, hpa.Spec.Metrics, 1)
		assert.Equal(t, corev1.ResourceCPU, hpa.Spec.Metrics[0].Resource.Name)
		assert.Equal(t, int32(70), *hpa.Spec.Metrics[0].Resource.Target.AverageUtilization)
		assert.Equal(t, []string{"intake", "telemetry"}, servicePorts(objs))
		assertHardened(t, d.Spec.Template.Spec)

		// As a statefulset with persistence, each pod's queue is on its
		// own claim, and the HPA scales the statefulset.
		objs = renderObjects(t, "gateway", kafkaValues+"saltSecret: {name: salt}\nmode: statefulset\npersistence: {enabled: true}\n")
		sts := One[appsv1.StatefulSet](objs, "StatefulSet")
		require.NotNil(t, sts)
		require.Len(t, sts.Spec.VolumeClaimTemplates, 1)
		assert.Equal(t, "StatefulSet", One[autoscalingv2.HorizontalPodAutoscaler](objs, "HorizontalPodAutoscaler").Spec.ScaleTargetRef.Kind)
		for _, v := range sts.Spec.Template.Spec.Volumes {
			assert.NotEqual(t, "data", v.Name, "the data volume is the claim, not an emptyDir")
		}

		// kafka.plaintext takes TLS and SASL off the gateway's exporter.
		objs = renderObjects(t, "gateway", "kafka: {brokers: [k1:9092], plaintext: true}\nsaltSecret: {name: salt}\n")
		cm := One[corev1.ConfigMap](objs, "ConfigMap")
		var cfg struct {
			Exporters map[string]map[string]any `json:"exporters"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(cm.Data["config.yaml"]), &cfg))
		require.Contains(t, cfg.Exporters, "kafka_spill")
		assert.NotContains(t, cfg.Exporters["kafka_spill"], "tls")
		assert.NotContains(t, cfg.Exporters["kafka_spill"], "auth")

		// With no trusted proxies, none are believed (never "all private ranges").
		objs = renderObjects(t, "gateway", kafkaValues+"saltSecret: {name: salt}\n")
		c = One[appsv1.Deployment](objs, "Deployment").Spec.Template.Spec.Containers[0]
		proxies, _ = envValue(c, "FOOTFALL_TRUSTED_PROXIES")
		assert.Equal(t, "[]", proxies.Value)
	})
	t.Run("processing", func(t *testing.T) {
		objs := renderObjects(t, "processing", kafkaValues)
		assert.Equal(t, []string{"ConfigMap", "PodDisruptionBudget", "ScaledObject", "Service", "ServiceAccount", "StatefulSet"}, objs.Kinds())
		sts := One[appsv1.StatefulSet](objs, "StatefulSet")
		assert.Nil(t, sts.Spec.Replicas, "KEDA owns the replica count")
		assert.Equal(t, appsv1.ParallelPodManagement, sts.Spec.PodManagementPolicy)
		c := sts.Spec.Template.Spec.Containers[0]
		env := podEnv(t, c.Env)
		assert.Contains(t, env, "FOOTFALL_TRANSACTIONAL_ID=footfall-processing-footfall-0", "the pod name makes the transactional id")
		so := One[ScaledObject](objs, "ScaledObject")
		assert.Equal(t, "StatefulSet", so.Spec.ScaleTargetRef.Kind)
		assert.Equal(t, int32(8), *so.Spec.MaxReplicaCount, "never more replicas than partitions")
		require.Len(t, so.Spec.Triggers, 1)
		tr := so.Spec.Triggers[0]
		assert.Equal(t, "kafka", tr.Type)
		for k := range tr.Metadata {
			assert.True(t, KafkaScalerKeys[k], "the Kafka scaler has no %q", k)
		}
		assert.Equal(t, "k1:9093,k2:9093", tr.Metadata["bootstrapServers"])
		assert.Equal(t, "footfall-processing", tr.Metadata["consumerGroup"])
		assert.Equal(t, "footfall.events", tr.Metadata["topic"])
		assert.Equal(t, "false", tr.Metadata["allowIdleConsumers"])
		down := so.Spec.Advanced.HorizontalPodAutoscalerConfig.Behavior.ScaleDown
		assert.GreaterOrEqual(t, *down.StabilizationWindowSeconds, int32(600), "no rebalance every minute")
		assertHardened(t, sts.Spec.Template.Spec)
	})
	t.Run("monitoring", func(t *testing.T) {
		objs := renderObjects(t, "processing", kafkaValues+"serviceMonitor: {enabled: true}\nprometheusRule: {enabled: true}\ndashboards: {enabled: true}\n")
		rule := One[monitoringv1.PrometheusRule](objs, "PrometheusRule")
		require.NotNil(t, rule)
		var source struct {
			Groups []monitoringv1.RuleGroup `json:"groups"`
		}
		raw, err := os.ReadFile(filepath.Join(repo, "alerts", "footfall.rules.yml"))
		require.NoError(t, err)
		require.NoError(t, yaml.UnmarshalStrict(raw, &source))
		assert.Equal(t, source.Groups, rule.Spec.Groups, "the rules are alerts/footfall.rules.yml")
		dashboards, err := filepath.Glob(filepath.Join(repo, "dashboards", "*.json"))
		require.NoError(t, err)
		require.Len(t, objs["ConfigMap"], len(dashboards)+1)
		for _, path := range dashboards {
			name := strings.TrimSuffix(filepath.Base(path), ".json")
			cm := objs["ConfigMap"]["footfall-"+name].(*corev1.ConfigMap)
			assert.Equal(t, "1", cm.Labels["grafana_dashboard"])
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, strings.TrimRight(string(raw), "\n"), cm.Data[filepath.Base(path)])
		}
		sm := One[monitoringv1.ServiceMonitor](objs, "ServiceMonitor")
		require.Len(t, sm.Spec.Endpoints, 2)
		assert.Equal(t, "metrics", sm.Spec.Endpoints[0].Port)
		assert.Equal(t, "telemetry", sm.Spec.Endpoints[1].Port)
		for _, e := range sm.Spec.Endpoints {
			require.Len(t, e.RelabelConfigs, 1)
			assert.Equal(t, "labeldrop", e.RelabelConfigs[0].Action, "two pods' series of a partition differ only by instance")
			assert.Equal(t, "pod", e.RelabelConfigs[0].Regex)
		}
	})
}

func servicePorts(objs Objects) []string {
	var names []string
	for _, p := range objs["Service"]["footfall"].(*corev1.Service).Spec.Ports {
		names = append(names, p.Name)
	}
	return names
}

func assertHardened(t *testing.T, spec corev1.PodSpec) {
	t.Helper()
	assert.False(t, *spec.AutomountServiceAccountToken, "no API token in the pod")
	psc := spec.SecurityContext
	assert.True(t, *psc.RunAsNonRoot)
	assert.Equal(t, int64(10001), *psc.RunAsUser)
	assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, psc.SeccompProfile.Type)
	c := spec.Containers[0]
	assert.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)
	assert.False(t, *c.SecurityContext.AllowPrivilegeEscalation)
	assert.Equal(t, []corev1.Capability{"ALL"}, c.SecurityContext.Capabilities.Drop)
	assert.Equal(t, "health", c.LivenessProbe.TCPSocket.Port.StrVal)
	assert.Equal(t, "health", c.ReadinessProbe.HTTPGet.Port.StrVal)
	assert.NotNil(t, c.Resources.Limits.Memory())
}

// Values that cannot run fail the render, with a message naming what to
// set.
func TestRenderRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, profile, values, want string
	}{
		{"gateway without a salt secret", "gateway", kafkaValues, "saltSecret.name"},
		{"single without a live view password", "single", "", "liveview.passwordSecret.name"},
		{"processing without brokers", "processing", "kafka: {partitions: 4, sasl: {secret: {name: u}}}\n", "kafka.brokers"},
		{"kafka without credentials", "processing", "kafka: {brokers: [k:9093], partitions: 4}\n", "kafka.sasl.secret.name"},
		{"autoscaling without partitions", "processing", "kafka: {brokers: [k:9093], sasl: {secret: {name: u}}}\n", "kafka.partitions"},
		{"more replicas than partitions", "processing", kafkaValues + "keda: {maxReplicaCount: 9}\n", "exceed kafka.partitions"},
		{"an HPA beyond the partitions", "processing", kafkaValues + "keda: {enabled: false}\nautoscaling: {enabled: true, maxReplicas: 12}\n", "exceed kafka.partitions"},
		{"two autoscalers", "processing", kafkaValues + "autoscaling: {enabled: true, maxReplicas: 4}\n", "choose one"},
		{"a gateway without a mode", "gateway", kafkaValues + "saltSecret: {name: s}\nmode: \"\"\n", "mode: deployment"},
		{"a live view off loopback without TLS", "single", "liveview: {passwordSecret: {name: lv}}\nports: {liveview: {enabled: true}}\n", "behindTLSProxy"},
		{"two single replicas", "single", "liveview: {passwordSecret: {name: lv}}\nreplicaCount: 2\n", "one replica"},
		{"an unknown value", "single", "liveview: {passwordSecret: {name: lv}}\nreplicas: 2\n", "replicas"},
		{"an unknown nested value", "gateway", kafkaValues + "saltSecret: {name: s, value: x}\n", "value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := renderValues(t, tc.profile, tc.values)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := Render(chartDir)
	require.Error(t, err, "no profile")
	assert.Contains(t, err.Error(), "values-<profile>.yaml")
}
