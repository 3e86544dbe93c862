package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// The README's values table names every value of values.yaml and no other,
// and where it gives a single value's default, it is values.yaml's.
func TestReadmeListsEveryValue(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	require.NoError(t, err)
	var values map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &values))
	leaves := map[string]any{}
	flatten("", values, leaves)

	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(readme), "\n## Values\n")
	require.True(t, ok, "the README has a Values section")
	rows := regexp.MustCompile("(?m)^\\| (`[^|]+) \\|([^|]*)\\|")
	documented := map[string]string{}
	for _, m := range rows.FindAllStringSubmatch(table, -1) {
		for _, key := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(m[1], -1) {
			documented[key[1]] = strings.TrimSpace(m[2])
		}
	}
	require.NotEmpty(t, documented)

	for leaf, v := range leaves {
		key, ok := covering(leaf, documented)
		if !assert.True(t, ok, "the README does not document %s", leaf) {
			continue
		}
		def := documented[key]
		if key == leaf && strings.HasPrefix(def, "`") && strings.HasSuffix(def, "`") {
			assert.Equal(t, strings.Trim(def, "`"), render(v), "the README's default of %s", leaf)
		}
	}
	for key := range documented {
		if strings.HasPrefix(key, "ports.<name>") {
			continue
		}
		found := false
		for leaf := range leaves {
			if leaf == key || strings.HasPrefix(leaf, key+".") {
				found = true
			}
		}
		assert.True(t, found, "the README documents %s, which values.yaml does not have", key)
	}
}

// flatten lists values.yaml's leaves: scalars, lists and empty maps, with
// each port's name as <name>; maps of Kubernetes fields the chart passes
// through are leaves too.
func flatten(prefix string, m map[string]any, out map[string]any) {
	passthrough := map[string]bool{"resources": true, "podSecurityContext": true, "securityContext": true, "livenessProbe": true, "readinessProbe": true, "dashboards.labels": true}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := prefix + k
		if prefix == "ports." {
			path = "ports.<name>"
		}
		if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 && !passthrough[path] {
			flatten(path+".", sub, out)
			continue
		}
		out[path] = m[k]
	}
}

func covering(leaf string, documented map[string]string) (string, bool) {
	for key := leaf; key != ""; {
		if _, ok := documented[key]; ok {
			return key, true
		}
		i := strings.LastIndex(key, ".")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return "", false
}

func render(v any) string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return `""`
		}
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = render(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		if len(x) == 0 {
			return "{}"
		}
		out, err := yaml.Marshal(x)
		if err == nil {
			return strings.TrimSpace(string(out))
		}
	}
	return fmt.Sprint(v)
}
