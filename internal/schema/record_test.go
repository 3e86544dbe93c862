// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package schema

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every attribute the schema names, read from this package's source so
// that a new one cannot be forgotten, is the schema's, never a custom
// property; keys outside its namespaces are the site's.
func TestCustomPropertiesAreWhatTheSchemaDoesNotName(t *testing.T) {
	sources, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var keys []string
	for _, source := range sources {
		if strings.HasSuffix(source, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), source, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range spec.Names {
				if !strings.HasPrefix(name.Name, "Attr") || i >= len(spec.Values) {
					continue
				}
				if lit, ok := spec.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					key, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					keys = append(keys, key)
				}
			}
			return true
		})
	}
	require.Greater(t, len(keys), 40, "the schema's attribute constants were found")
	for _, key := range keys {
		assert.False(t, IsCustomProperty(key), key)
	}
	for _, key := range append(ReceiverOwned, SessionizerOwned...) {
		assert.False(t, IsCustomProperty(key), key)
	}
	for _, key := range []string{"plan", "product.id", "event.category", "checkout_step", "footfall"} {
		assert.True(t, IsCustomProperty(key), key)
	}
}
