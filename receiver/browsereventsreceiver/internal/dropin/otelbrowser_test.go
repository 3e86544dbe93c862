// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dropin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// The OpenTelemetry JS browser-navigation instrumentation's events are page
// views, also when an older SDK names them in event.name; a change of the
// fragment alone is not one and does not count as an interaction.
func TestOpenTelemetryNavigationIsAPageView(t *testing.T) {
	logs := plog.NewLogs()
	records := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	load := records.AppendEmpty()
	load.SetEventName("browser.navigation")
	load.Attributes().PutBool("browser.navigation.hash_change", false)
	legacy := records.AppendEmpty()
	legacy.Attributes().PutStr(schema.AttrEventNameLegacy, "browser.navigation")
	hash := records.AppendEmpty()
	hash.SetEventName("browser.navigation")
	hash.Attributes().PutBool("browser.navigation.hash_change", true)
	other := records.AppendEmpty()
	other.SetEventName("signup")

	d := MapOTLP(logs)
	require.Equal(t, 4, d.Items)
	assert.Equal(t, schema.EventPageView, load.EventName())
	assert.Equal(t, schema.EventPageView, legacy.EventName())
	assert.Equal(t, "browser.navigation", hash.EventName())
	interactive, ok := hash.Attributes().Get(schema.AttrEventInteractive)
	require.True(t, ok)
	assert.False(t, interactive.Bool())
	assert.Equal(t, "signup", other.EventName())
	_, ok = other.Attributes().Get(schema.AttrEventInteractive)
	assert.False(t, ok)
}
