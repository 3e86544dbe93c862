// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package schema

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckSiteID(t *testing.T) {
	for _, good := range []string{"a", "demo", "shop.example.com", "site_2", "0-9", strings.Repeat("a", MaxSiteIDBytes)} {
		assert.NoError(t, CheckSiteID(good), good)
	}
	for _, bad := range []string{"", "..", "a..b", "a/../b", "Shop", "-a", ".a", "_a", "a b", "a/b", "é", strings.Repeat("a", MaxSiteIDBytes+1), "a\x00"} {
		assert.Error(t, CheckSiteID(bad), bad)
	}
}
