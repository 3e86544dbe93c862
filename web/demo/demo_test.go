// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPagesLoadTheTracker(t *testing.T) {
	h, err := Handler(Options{Collector: "http://collector.test:4319/", Site: "demo"})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, path := range []string{"/", "/pricing", "/docs", "/app/", "/app/inbox"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, string(body), `<script defer src="http://collector.test:4319/footfall.js" data-site="demo" data-web-vitals></script>`, path)
	}
	resp, err := http.Get(srv.URL + "/nothing")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestOptionsAreRequired(t *testing.T) {
	_, err := Handler(Options{Site: "demo"})
	require.Error(t, err)
}
