// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package attr

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestTruncateUTF8NeverSplitsACharacter(t *testing.T) {
	assert.Equal(t, "abc", TruncateUTF8("abc", 5))
	assert.Equal(t, "ab", TruncateUTF8("abc", 2))
	// "é" is two bytes: cutting inside it keeps the whole character out.
	assert.Equal(t, "a", TruncateUTF8("aé", 2))
	assert.Equal(t, "aé", TruncateUTF8("aé", 3))
	assert.Empty(t, TruncateUTF8("日本", 2))
}

func TestLabel(t *testing.T) {
	long := strings.Repeat("x", 70)
	bytes := pcommon.NewValueBytes()
	bytes.Bytes().FromRaw([]byte("pro"))
	for _, tc := range []struct {
		name  string
		value pcommon.Value
		want  string
		valid bool
	}{
		{"string", pcommon.NewValueStr("pro"), "pro", true},
		{"trimmed", pcommon.NewValueStr("  pro \t"), "pro", true},
		{"cut to the limit", pcommon.NewValueStr(long), long[:64], true},
		{"cut on a character boundary", pcommon.NewValueStr(strings.Repeat("x", 63) + "é"), strings.Repeat("x", 63), true},
		{"cut, then trimmed", pcommon.NewValueStr(strings.Repeat("x", 63) + "  y"), strings.Repeat("x", 63), true},
		{"integer", pcommon.NewValueInt(42), "42", true},
		{"boolean", pcommon.NewValueBool(true), "true", true},
		{"empty", pcommon.NewValueStr(""), "", false},
		{"only spaces", pcommon.NewValueStr("   "), "", false},
		{"control character", pcommon.NewValueStr("a\nb"), "", false},
		{"not UTF-8", pcommon.NewValueStr("a\xffb"), "", false},
		{"double", pcommon.NewValueDouble(1.5), "1.5", true},
		{"not a number", pcommon.NewValueDouble(math.NaN()), "", false},
		{"infinite", pcommon.NewValueDouble(math.Inf(1)), "", false},
		{"bytes", bytes, "", false},
		{"map", pcommon.NewValueMap(), "", false},
		{"list", pcommon.NewValueSlice(), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, valid := Label(tc.value)
			assert.Equal(t, tc.valid, valid)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestQuoteCutsLongStrings(t *testing.T) {
	assert.Equal(t, `"example.com"`, Quote("example.com"))
	long := strings.Repeat("<é>", 300_000)
	q := Quote(long)
	assert.Less(t, len(q), 2*MaxQuotedBytes+32, "a quote is bounded whatever it quotes")
	assert.True(t, strings.HasPrefix(q, `"<é><é>`))
	assert.True(t, strings.HasSuffix(q, "... (1200000 bytes)"))
	assert.True(t, utf8.ValidString(q))
}
