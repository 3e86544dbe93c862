// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package promtext

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`# HELP footfall_clicks_total Clicks.
# TYPE footfall_clicks_total counter
footfall_clicks_total{element="download",site="demo"} 2
footfall_clicks_total{element="outbound",site="demo"} 5
footfall_clicks_total_extra{site="demo"} 9
`))
	}))
	defer srv.Close()
	endpoint := strings.TrimPrefix(srv.URL, "http://")
	v, ok, err := Value(endpoint, "footfall_clicks_total", `site="demo"`, `element="outbound"`)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 5.0, v)
	v, ok, err = Value(endpoint, "footfall_clicks_total")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 2.0, v, "the first series")
	_, ok, err = Value(endpoint, "footfall_clicks_total", `site="shop"`)
	require.NoError(t, err)
	assert.False(t, ok)
	v, ok, err = Sum(endpoint, "footfall_clicks_total", `site="demo"`)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 7.0, v, "every series, not the _extra metric")
	_, ok, err = Sum(endpoint, "footfall_clicks_total", `site="shop"`)
	require.NoError(t, err)
	assert.False(t, ok)
	_, _, err = Value("127.0.0.1:1", "x")
	assert.Error(t, err)
}
