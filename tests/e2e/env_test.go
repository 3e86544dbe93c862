// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every environment variable a shipped config reads is named in that
// config's header comment, and in the README's table with the configs that
// read it and every default they give it; the table names no other.
func TestE2EShippedConfigsDocumentTheirEnvironment(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "*.yaml"))
	require.NoError(t, err)
	reference := regexp.MustCompile(`\$\{env:([A-Z0-9_]+)(:-([^}]*))?\}`)
	readers := map[string][]string{}         // variable -> configs that read it
	defaults := map[string]map[string]bool{} // variable -> defaults the configs give
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		name := filepath.Base(f)
		header := headerComment(string(raw))
		seen := map[string]bool{}
		for _, m := range reference.FindAllStringSubmatch(string(raw), -1) {
			v := m[1]
			if defaults[v] == nil {
				defaults[v] = map[string]bool{}
			}
			if m[2] != "" {
				defaults[v][m[3]] = true
			} else {
				defaults[v]["none"] = true
			}
			if !seen[v] {
				seen[v] = true
				readers[v] = append(readers[v], name)
				assert.Contains(t, header, v, "%s reads %s but its header does not name it", name, v)
			}
		}
	}
	require.NotEmpty(t, readers)

	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Environment variables\n")
	require.True(t, ok, "the README has an Environment variables section")
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `(FOOTFALL_[A-Z0-9_]+)` \\| ([^|]*) \\| ([^|]*) \\|")
	documented := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		v, readBy, def := m[1], m[2], m[3]
		documented[v] = true
		want, ok := readers[v]
		if !assert.True(t, ok, "the README lists %s, which no shipped config reads", v) {
			continue
		}
		var got []string
		for _, c := range regexp.MustCompile("`([a-z-]+\\.yaml)`").FindAllStringSubmatch(readBy, -1) {
			got = append(got, c[1])
		}
		sort.Strings(got)
		sort.Strings(want)
		assert.Equal(t, want, got, "the configs the README says read %s", v)
		for d := range defaults[v] {
			switch d {
			case "none":
				assert.Contains(t, def, "none", "%s has no default in some config", v)
			case "":
				assert.Contains(t, def, "`\"\"`", "%s defaults to empty", v)
			default:
				assert.Contains(t, def, "`"+d+"`", "the README's default of %s", v)
			}
		}
	}
	for v := range readers {
		assert.True(t, documented[v], "the README's table does not list %s", v)
	}
}

// headerComment is a config's leading comment block.
func headerComment(config string) string {
	var b strings.Builder
	for _, line := range strings.Split(config, "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
