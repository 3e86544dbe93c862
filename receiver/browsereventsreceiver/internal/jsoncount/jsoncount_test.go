// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package jsoncount

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMoreThan(t *testing.T) {
	body := `{"events":[{"name":"a \\\" [{"},{"k":{"events":[{}]}}],"x":{"events":[{},{}]},"logs":[{}]}`
	// Anywhere: the two events, the one nested in the second, and the two
	// under "x".
	assert.True(t, MoreThan([]byte(body), 4, false, "events"))
	assert.False(t, MoreThan([]byte(body), 5, false, "events"))
	// In the root object only: the two events and the log.
	assert.True(t, MoreThan([]byte(body), 2, true, "events", "logs"))
	assert.False(t, MoreThan([]byte(body), 3, true, "events", "logs"))
	// A string that spells a key or brackets counts nothing.
	assert.False(t, MoreThan([]byte(`{"a":"\"events\":[{},{}]"}`), 0, false, "events"))
	for _, junk := range []string{"", "{", `"`, `]]]`, strings.Repeat("[", 1000), `{"events":[{`} {
		assert.False(t, MoreThan([]byte(junk), 5, false, "events"), junk)
	}
}
