// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package netaddr

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsLoopback(t *testing.T) {
	for endpoint, want := range map[string]bool{
		"localhost:4320": true, "localhost": true, "127.0.0.1:9200": true, "127.1.2.3": true, "[::1]:9200": true, "::1": true,
		"0.0.0.0:4320": false, "10.0.0.5:9200": false, "es.internal:9200": false, "[2001:db8::1]:9200": false, "": false,
	} {
		assert.Equal(t, want, IsLoopback(endpoint), endpoint)
	}
}
