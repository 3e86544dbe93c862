// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package tracker

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// The script-tag build must stay at most 2 KB gzipped, as the receiver
// serves it (compress/gzip, best compression).
func TestScriptSizeGzipped(t *testing.T) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write(Script)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	t.Logf("footfall.js: %d bytes, %d bytes gzipped", len(Script), buf.Len())
	require.NotEmpty(t, Script)
	require.LessOrEqual(t, buf.Len(), 2048, "footfall.js must stay at most 2 KB gzipped")

	// The README gives the built sizes; they are these.
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("`dist/footfall.js` \\| ([0-9,]+) bytes; \\*\\*([0-9,]+) bytes gzipped").FindSubmatch(readme)
	require.NotNil(t, m, "the README's size row")
	require.Equal(t, fmt.Sprintf("%s / %s", thousands(len(Script)), thousands(buf.Len())), string(m[1])+" / "+string(m[2]),
		"the README's sizes of footfall.js (plain / gzipped)")
}

// thousands writes n with comma separators, as the README does.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
