// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package attr // import "github.com/footfall-analytics/footfall/internal/attr"

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// TruncateUTF8 cuts s to at most n bytes without splitting a character.
func TruncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// MaxLabelBytes bounds a client-chosen value used as a metric label.
const MaxLabelBytes = 64

// Label is a client-chosen value (a custom property) made fit to be a
// metric label: a string, a number or a boolean, trimmed of surrounding
// white space and cut to MaxLabelBytes on a character boundary. It is not valid
// when it is empty, another type (a map or a list is not one value, bytes
// are not text), a number that is not finite, not UTF-8, or holds control
// characters.
func Label(v pcommon.Value) (string, bool) {
	var s string
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s = v.Str()
	case pcommon.ValueTypeInt, pcommon.ValueTypeBool:
		s = v.AsString()
	case pcommon.ValueTypeDouble:
		if math.IsNaN(v.Double()) || math.IsInf(v.Double(), 0) {
			return "", false
		}
		s = v.AsString()
	default:
		return "", false
	}
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return "", false
	}
	s = strings.TrimSpace(TruncateUTF8(s, MaxLabelBytes))
	return s, s != ""
}
