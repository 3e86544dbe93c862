// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package jsonwriter

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Strings and numbers are written as encoding/json writes them.
func TestWritesWhatEncodingJSONWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11)) // #nosec G404 -- a fixed test sequence
	strings := []string{"", "plain", `q"b\s`, "<a>&", "\u2028\u2029", "\x00\x1f\x7f", "\xff\xfe", "é日本", "\t\n\r\b\f"}
	for range 2000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		strings = append(strings, string(b))
	}
	for _, s := range strings {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(AppendString(nil, s)), "%q", s)
	}
	for _, f := range []float64{0, -0.5, 1e-7, 1e21, 123456789.125, 1e-6, 5e-324, 1.7976931348623157e308} {
		want, err := json.Marshal(f)
		require.NoError(t, err)
		var w Writer
		w.float(f)
		assert.Equal(t, string(want), string(w.Buf), "%v", f)
	}
}

// An object left without fields is taken back, with its separator; the
// top-level object stays.
func TestEmptyObjectsAreLeftOut(t *testing.T) {
	var w Writer
	w.Begin()
	w.String("a", "1")
	w.Object("empty")
	w.Object("inner")
	w.String("gone", "")
	w.Close()
	w.Close()
	w.Object("kept")
	w.Value("n", pcommon.NewValueInt(2))
	w.Close()
	w.End()
	assert.JSONEq(t, `{"a":"1","kept":{"n":2}}`, string(w.Buf))
	assert.Equal(t, `{"a":"1","kept":{"n":2}}`, string(w.Buf))

	w.Buf = w.Buf[:0]
	w.Begin()
	w.Object("empty")
	w.Close()
	w.End()
	assert.Equal(t, `{}`, string(w.Buf))
}
