// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector"
	"github.com/footfall-analytics/footfall/exporter/archiveexporter"
	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter"
	"github.com/footfall-analytics/footfall/exporter/kafkaspillexporter"
	"github.com/footfall-analytics/footfall/exporter/liveviewexporter"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"
	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"
)

// settings are a config struct's keys (as "a::b"; a map's key as "<>"),
// each with its default value when it is a plain value.
type settings map[string]any

// settingsOf walks a config by its mapstructure tags.
func settingsOf(cfg any) settings {
	s := settings{}
	s.walk("", reflect.ValueOf(cfg))
	return s
}

func (s settings) walk(prefix string, v reflect.Value) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v = reflect.New(v.Type().Elem()).Elem()
			continue
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	for i := range v.NumField() {
		field := v.Type().Field(i)
		tag := field.Tag.Get("mapstructure")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !field.IsExported() {
			continue
		}
		if strings.Contains(opts, "squash") {
			s.walk(prefix, v.Field(i))
			continue
		}
		if name == "" {
			name = strings.ToLower(field.Name)
		}
		key := prefix + name
		fv := v.Field(i)
		s[key] = plain(fv)
		switch t := fv.Type(); {
		case t.Kind() == reflect.Struct && t.PkgPath() != "time",
			t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
			s.walk(key+"::", fv)
		case t.Kind() == reflect.Map:
			s[key+"::<>"] = nil
			s.walk(key+"::<>::", reflect.New(t.Elem()).Elem())
		}
	}
}

// plain is a field's value when it is one a README can state.
func plain(v reflect.Value) any {
	switch v.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint32, reflect.Uint64, reflect.Float64:
		return v.Interface()
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			return v.Interface()
		}
	}
	return nil
}

// derived reports a default the README gives as another setting or a
// pattern of one ("wal_directory", "<group_id>-changelog") where the config
// holds the zero value that stands for it.
func (s settings) derived(doc string, v any) bool {
	if !reflect.ValueOf(v).IsZero() {
		return false
	}
	_, isKey := s.lookup(doc)
	return isKey || strings.Contains(doc, "<")
}

// lookup finds a README's key: "a::b", "a.b" or a key under a map ("sites::<id>::x").
func (s settings) lookup(key string) (any, bool) {
	key = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(key, "<>")
	for _, k := range []string{key, strings.ReplaceAll(key, ".", "::")} {
		if v, ok := s[k]; ok {
			return v, true
		}
	}
	return nil, false
}

// same reports whether a README's default (the text in backticks, or a
// YAML value) is v.
func same(doc any, v any) bool {
	if list, ok := doc.([]any); ok {
		items := make([]string, len(list))
		for i, item := range list {
			items[i] = fmt.Sprint(item)
		}
		doc = "[" + strings.Join(items, ", ") + "]"
	}
	return sameText(fmt.Sprint(doc), v)
}

func sameText(doc string, v any) bool {
	switch v := v.(type) {
	case time.Duration:
		d, err := time.ParseDuration(doc)
		return err == nil && d == v
	case string:
		return doc == v
	case bool:
		return doc == strconv.FormatBool(v)
	case []string:
		return doc == "["+strings.Join(v, ", ")+"]"
	case nil:
		return false
	default:
		return doc == fmt.Sprint(v)
	}
}

var (
	tableHeader = regexp.MustCompile(`^\| (key|setting|field) \| default \|`)
	backticked  = regexp.MustCompile("`([^`]+)`")
	plainKey    = regexp.MustCompile(`^[a-z_][a-z0-9_]*((::|\.)(<[^>]+>|[a-z_][a-z0-9_]*))*$`)
)

// tableRows returns the key and default cells of a README's settings table.
func tableRows(t *testing.T, readme string) [][2]string {
	t.Helper()
	b, err := os.ReadFile(readme)
	require.NoError(t, err)
	var rows [][2]string
	in := false
	for line := range strings.SplitSeq(string(b), "\n") {
		switch {
		case tableHeader.MatchString(line):
			in = true
		case in && strings.HasPrefix(line, "|---"):
		case in && strings.HasPrefix(line, "|"):
			cells := strings.Split(line, "|")
			rows = append(rows, [2]string{strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])})
		default:
			in = false
		}
	}
	return rows
}

// TestReadmeSettingsExistWithTheirDefaults: every key a component README's
// settings table names is a key of its config, and a default cell that
// opens with its one value in backticks gives the config's default.
func TestReadmeSettingsExistWithTheirDefaults(t *testing.T) {
	components := map[string]component.Factory{
		"../connector/webanalyticsconnector/README.md": webanalyticsconnector.NewFactory(),
		"../exporter/archiveexporter/README.md":        archiveexporter.NewFactory(),
		"../exporter/elasticsearchexporter/README.md":  elasticsearchexporter.NewFactory(),
		"../exporter/kafkaspillexporter/README.md":     kafkaspillexporter.NewFactory(),
		"../exporter/liveviewexporter/README.md":       liveviewexporter.NewFactory(),
		"../processor/sessionizeprocessor/README.md":   sessionizeprocessor.NewFactory(),
		"../receiver/kafkastreamreceiver/README.md":    kafkastreamreceiver.NewFactory(),
	}
	for readme, factory := range components {
		t.Run(filepath.Base(filepath.Dir(readme)), func(t *testing.T) {
			s := settingsOf(factory.CreateDefaultConfig())
			rows := tableRows(t, readme)
			require.NotEmpty(t, rows)
			keysChecked := 0
			for _, row := range rows {
				keys := backticked.FindAllStringSubmatch(row[0], -1)
				for _, k := range keys {
					if !plainKey.MatchString(k[1]) {
						continue
					}
					keysChecked++
					v, ok := s.lookup(k[1])
					if !assert.True(t, ok, "%s: %q is no setting of the component", readme, k[1]) {
						continue
					}
					defaults := backticked.FindAllStringSubmatch(row[1], -1)
					// One default in backticks opening the cell; prose may follow.
					if len(keys) == 1 && len(defaults) == 1 && strings.HasPrefix(row[1], "`"+defaults[0][1]+"`") && v != nil && !s.derived(defaults[0][1], v) {
						assert.True(t, same(defaults[0][1], v), "%s: %s defaults to %v, the README says %s", readme, k[1], v, defaults[0][1])
					}
				}
			}
			assert.Greater(t, keysChecked, 3)
		})
	}
}

// TestReceiverReadmeConfigIsItsConfig: the browserevents receiver's README
// shows its settings as YAML; every key there is a setting, and every
// value is its default, but for the lines that say otherwise in a comment
// ("required", "or ...").
func TestReceiverReadmeConfigIsItsConfig(t *testing.T) {
	b, err := os.ReadFile("../receiver/browsereventsreceiver/README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(b), "## Configuration\n\n```yaml\n")
	require.True(t, ok)
	block, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)
	retrieved, err := confmap.NewRetrievedFromYAML([]byte(block))
	require.NoError(t, err)
	conf, err := retrieved.AsConf()
	require.NoError(t, err)
	sub, err := conf.Sub("receivers::browserevents")
	require.NoError(t, err)
	s := settingsOf(browsereventsreceiver.NewFactory().CreateDefaultConfig())
	notDefault := map[string]bool{
		"geoip::database": true, // the shipped database, as the image and packages install it; empty by default
	}
	checked := 0
	for _, key := range sub.AllKeys() {
		v, ok := s.lookup(key)
		if !assert.True(t, ok, "the README shows %q, which is no setting", key) || v == nil || notDefault[key] {
			continue
		}
		checked++
		assert.True(t, same(sub.Get(key), v), "%s defaults to %v, the README shows %v", key, v, sub.Get(key))
	}
	assert.Greater(t, checked, 15)
}
