package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"sigs.k8s.io/yaml"
)

// Release is the release every render is made as, in the goldens too.
var Release = common.ReleaseOptions{Name: "footfall", Namespace: "analytics", Revision: 1, IsInstall: true}

// Rendered is a render's output: manifests by template file (those that
// rendered to nothing left out) and the notes.
type Rendered struct {
	Files map[string]string
	Notes string
}

// Render renders the chart in dir with the values files merged in order,
// as helm install -f a.yaml -f b.yaml does, validating them against
// values.schema.json first.
func Render(dir string, valuesFiles ...string) (Rendered, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return Rendered{}, err
	}
	vals := map[string]any{}
	for _, f := range valuesFiles {
		raw, err := os.ReadFile(f)
		if err != nil {
			return Rendered{}, err
		}
		var v map[string]any
		if err := yaml.Unmarshal(raw, &v); err != nil {
			return Rendered{}, fmt.Errorf("%s: %w", f, err)
		}
		vals = merge(vals, v)
	}
	top, err := util.ToRenderValuesWithSchemaValidation(ch, vals, Release, common.DefaultCapabilities, false)
	if err != nil {
		return Rendered{}, err
	}
	out, err := engine.Render(ch, top)
	if err != nil {
		return Rendered{}, err
	}
	r := Rendered{Files: map[string]string{}}
	for name, text := range out {
		base := filepath.Base(name)
		switch {
		case base == "NOTES.txt":
			r.Notes = text
		case strings.HasPrefix(base, "_"), strings.TrimSpace(text) == "":
		default:
			r.Files[base] = text
		}
	}
	return r, nil
}

// merge is helm's merge of values files: maps merge, anything else is
// replaced by the later file's.
func merge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = merge(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// Documents splits the rendered files into YAML documents, in file order.
func (r Rendered) Documents() []string {
	names := make([]string, 0, len(r.Files))
	for n := range r.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	var docs []string
	for _, n := range names {
		for _, doc := range strings.Split(r.Files[n], "\n---") {
			if strings.TrimSpace(stripComments(doc)) != "" {
				docs = append(docs, doc)
			}
		}
	}
	return docs
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
