// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/testhttp"
	"github.com/footfall-analytics/footfall/web/tracker"
)

func TestServesTheTracker(t *testing.T) {
	h := startReceiver(t, testConfig(t), nil)
	get := func(t *testing.T, method string, headers map[string]string) (testhttp.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, h.url+trackerPath, http.NoBody)
		require.NoError(t, err)
		// Set explicitly, so that the transport neither asks for gzip nor undoes it.
		req.Header.Set("Accept-Encoding", "identity")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp := testhttp.Do(t, req)
		return resp, resp.Body
	}

	t.Run("plain", func(t *testing.T) {
		resp, body := get(t, http.MethodGet, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, tracker.Script, body)
		assert.Equal(t, "text/javascript; charset=utf-8", resp.Header.Get("Content-Type"))
		assert.Equal(t, "public, max-age=3600", resp.Header.Get("Cache-Control"))
		assert.Equal(t, "Accept-Encoding", resp.Header.Get("Vary"))
		assert.Empty(t, resp.Header.Get("Content-Encoding"))
		assert.Regexp(t, `^"[0-9a-f]{24}"$`, resp.Header.Get("ETag"))
	})

	t.Run("gzip", func(t *testing.T) {
		resp, body := get(t, http.MethodGet, map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
		zr, err := gzip.NewReader(bytes.NewReader(body))
		require.NoError(t, err)
		plain, err := io.ReadAll(zr)
		require.NoError(t, err)
		assert.Equal(t, tracker.Script, plain)
		assert.Less(t, len(body), len(tracker.Script))
	})

	t.Run("gzip refused with q=0", func(t *testing.T) {
		resp, body := get(t, http.MethodGet, map[string]string{"Accept-Encoding": "gzip;q=0"})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Content-Encoding"))
		assert.Equal(t, tracker.Script, body)
	})

	t.Run("revalidation by ETag", func(t *testing.T) {
		first, _ := get(t, http.MethodGet, nil)
		etag := first.Header.Get("ETag")
		resp, body := get(t, http.MethodGet, map[string]string{"If-None-Match": `"stale", W/` + etag})
		assert.Equal(t, http.StatusNotModified, resp.StatusCode)
		assert.Empty(t, body)
		resp, _ = get(t, http.MethodGet, map[string]string{"If-None-Match": `"stale"`})
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})

	t.Run("HEAD", func(t *testing.T) {
		resp, body := get(t, http.MethodHead, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, strconv.Itoa(len(tracker.Script)), resp.Header.Get("Content-Length"))
		assert.Empty(t, body)
	})

	t.Run("other methods", func(t *testing.T) {
		resp, _ := get(t, http.MethodPost, nil)
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
		assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
	})
}
