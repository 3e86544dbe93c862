// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package testhttp sends a test's HTTP request and hands back the whole
// response with its body already read and closed.
package testhttp // import "github.com/footfall-analytics/footfall/internal/testhttp"

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// Response is a response whose body has been read and closed.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Do sends req with the default client and fails the test on a transport error.
func Do(t testing.TB, req *http.Request) Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req) // #nosec G704 -- tests send to the servers they started
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}
}
