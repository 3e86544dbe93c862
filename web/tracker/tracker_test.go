// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package tracker

import (
	"bytes"
	"compress/gzip"
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
}
