// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sitezone

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A site's own zone, else the default; errors name the setting.
func TestZones(t *testing.T) {
	z, err := Load("America/New_York", map[string]string{"shop": "Europe/Berlin", "blog": ""})
	require.NoError(t, err)
	assert.Equal(t, "Europe/Berlin", z.Of("shop").String())
	assert.Equal(t, "America/New_York", z.Of("blog").String())
	assert.Equal(t, "America/New_York", z.Of("other").String())

	_, err = Load("Mars/Olympus_Mons", map[string]string{"shop": "Venus/Maxwell"})
	assert.ErrorContains(t, err, "time_zone: unknown time zone Mars/Olympus_Mons")
	assert.ErrorContains(t, err, "sites::shop::time_zone: unknown time zone Venus/Maxwell")
	assert.Equal(t, time.UTC, Zones{}.Of("shop"), "the zero Zones is UTC")
}
