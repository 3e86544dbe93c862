package chart

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/footfall-analytics/footfall/deploy/internal/image"
)

var update = flag.Bool("update", false, "rewrite the examples' rendered goldens")

const (
	repo     = "../../.."
	chartDir = "../../helm/footfall"
)

// The chart's copies of the shipped configs, the alert rules and the
// dashboards are the repository's files, byte for byte: one source.
func TestChartFilesMatchSources(t *testing.T) {
	for src, dst := range map[string]string{
		"config/*.yaml":             "files/config",
		"alerts/footfall.rules.yml": "files/alerts",
		"dashboards/*.json":         "files/dashboards",
	} {
		sources, err := filepath.Glob(filepath.Join(repo, src))
		require.NoError(t, err)
		require.NotEmpty(t, sources, src)
		copies, err := filepath.Glob(filepath.Join(chartDir, dst, "*"))
		require.NoError(t, err)
		assert.Len(t, copies, len(sources), "%s holds a file that is not in %s (make chart-files)", dst, src)
		for _, s := range sources {
			want, err := os.ReadFile(s)
			require.NoError(t, err)
			got, err := os.ReadFile(filepath.Join(chartDir, dst, filepath.Base(s)))
			require.NoError(t, err, "make chart-files copies %s into the chart", s)
			assert.True(t, bytes.Equal(want, got), "%s/%s differs from %s: run make chart-files", dst, filepath.Base(s), s)
		}
	}
}

// example renders one example as its header says: the profile's values
// file, then the example's.
func example(t *testing.T, dir string) Rendered {
	t.Helper()
	files := profileFiles(t, filepath.Join(dir, "values.yaml"))
	r, err := Render(chartDir, files...)
	require.NoError(t, err)
	return r
}

func profileFiles(t *testing.T, values string) []string {
	t.Helper()
	raw, err := os.ReadFile(values)
	require.NoError(t, err)
	var v struct {
		Profile string `json:"profile"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &v))
	require.NotEmpty(t, v.Profile, "%s names its profile", values)
	return []string{filepath.Join(chartDir, "values-"+v.Profile+".yaml"), values}
}

// Every example renders, lints clean, decodes strictly into the
// Kubernetes, prometheus-operator and KEDA types, renders the collector
// config that footfall validate accepts with the environment the pod
// gets, and equals its committed rendered/ files (go test -update, or
// make chart-examples, rewrites them).
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(chartDir, "examples", "*"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(dirs), 4)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			r := example(t, dir)
			lintClean(t, profileFiles(t, filepath.Join(dir, "values.yaml")))
			objs, err := Decode(r.Documents())
			require.NoError(t, err)
			validateConfig(t, objs)
			golden(t, filepath.Join(dir, "rendered"), r)
		})
	}
}

func lintClean(t *testing.T, files []string) {
	t.Helper()
	vals := map[string]any{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		var v map[string]any
		require.NoError(t, yaml.Unmarshal(raw, &v))
		vals = merge(vals, v)
	}
	linter := lint.RunAll(chartDir, vals, Release.Namespace)
	for _, m := range linter.Messages {
		assert.Less(t, m.Severity, support.WarningSev, "helm lint: %s", m)
	}
}

func golden(t *testing.T, dir string, r Rendered) {
	t.Helper()
	if *update {
		require.NoError(t, os.RemoveAll(dir))
		require.NoError(t, os.MkdirAll(dir, 0o750))
		for name, text := range r.Files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600))
		}
	}
	have, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	var names []string
	for _, h := range have {
		names = append(names, filepath.Base(h))
	}
	var want []string
	for name := range r.Files {
		want = append(want, name)
	}
	assert.ElementsMatch(t, want, names, "rendered files of %s (make chart-examples)", dir)
	for name, text := range r.Files {
		committed, err := os.ReadFile(filepath.Join(dir, name))
		if assert.NoError(t, err) {
			assert.Equal(t, string(committed), text, "%s/%s is stale: make chart-examples", dir, name)
		}
	}
}

// validateConfig runs footfall validate on the config the release's
// ConfigMap holds, with the image's environment and the pod's env on top,
// secrets filled in with values of the length the configs ask for.
func validateConfig(t *testing.T, objs Objects) {
	t.Helper()
	cm := One[corev1.ConfigMap](objs, "ConfigMap")
	if cm == nil {
		cm = objs["ConfigMap"]["footfall"].(*corev1.ConfigMap)
	}
	config := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(cm.Data["config.yaml"]), 0o600))
	env := append(slices.Clone(image.Env), podEnv(t, container(t, objs).Env)...)
	// validate opens the country database and checks the data directory:
	// the checkout's database and a directory of the test's stand in for
	// the image's paths.
	geo, err := filepath.Abs(filepath.Join("..", "..", "..", "geo", "country.mmdb"))
	require.NoError(t, err)
	env = append(env, "FOOTFALL_GEOIP_DATABASE="+geo, "FOOTFALL_DATA_DIR="+t.TempDir())
	// The container's arguments, with the ConfigMap's file where it is
	// mounted.
	args := []string{"validate"}
	for _, arg := range container(t, objs).Args {
		if strings.HasSuffix(arg, "/config.yaml") {
			arg = config
		}
		args = append(args, arg)
	}
	cmd := exec.Command(footfallBinary(t), args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "footfall validate on the rendered config:\n%s\n%s", out, cm.Data["config.yaml"])
}

var secrets = map[string]string{
	"FOOTFALL_SALT_SECRET":       "a-salt-secret-of-at-least-32-bytes!!",
	"FOOTFALL_LIVEVIEW_PASSWORD": "correct horse battery",
	"FOOTFALL_KAFKA_USERNAME":    "footfall",
	"FOOTFALL_KAFKA_PASSWORD":    "a-scram-password",
}

var dependent = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// podEnv resolves a container's env as the kubelet does: values, $(VAR)
// references to earlier variables, the pod's name, and secrets.
func podEnv(t *testing.T, vars []corev1.EnvVar) []string {
	t.Helper()
	seen := map[string]string{}
	var out []string
	for _, v := range vars {
		value := v.Value
		switch {
		case v.ValueFrom != nil && v.ValueFrom.SecretKeyRef != nil:
			s, ok := secrets[v.Name]
			require.True(t, ok, "no test value for the secret %s", v.Name)
			value = s
		case v.ValueFrom != nil && v.ValueFrom.FieldRef != nil:
			require.Equal(t, "metadata.name", v.ValueFrom.FieldRef.FieldPath)
			value = "footfall-0"
		default:
			value = dependent.ReplaceAllStringFunc(value, func(ref string) string {
				name := dependent.FindStringSubmatch(ref)[1]
				got, ok := seen[name]
				require.True(t, ok, "%s refers to %s, not defined before it", v.Name, name)
				return got
			})
		}
		seen[v.Name] = value
		out = append(out, v.Name+"="+value)
	}
	return out
}

func container(t *testing.T, objs Objects) corev1.Container {
	t.Helper()
	spec := podSpec(t, objs)
	require.Len(t, spec.Containers, 1)
	return spec.Containers[0]
}

func podSpec(t *testing.T, objs Objects) corev1.PodSpec {
	t.Helper()
	if d := One[appsv1.Deployment](objs, "Deployment"); d != nil {
		return d.Spec.Template.Spec
	}
	s := One[appsv1.StatefulSet](objs, "StatefulSet")
	require.NotNil(t, s, "a Deployment or a StatefulSet")
	return s.Spec.Template.Spec
}

func footfallBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("FOOTFALL_BIN")
	if bin == "" {
		bin = filepath.Join(repo, "bin", "footfall")
	}
	_, err := os.Stat(bin) //nolint:gosec // the binary under test, named by FOOTFALL_BIN
	require.NoError(t, err, "the footfall binary: run make build, or set FOOTFALL_BIN")
	return bin
}

func envValue(c corev1.Container, name string) (corev1.EnvVar, bool) {
	for _, v := range c.Env {
		if v.Name == name {
			return v, true
		}
	}
	return corev1.EnvVar{}, false
}
