// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dropin // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/dropin"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// The event of the OpenTelemetry JS browser-navigation instrumentation
// (@opentelemetry/instrumentation-browser-navigation): one per page load
// and per same-document navigation, with url.full (docs/ingest.md).
const (
	eventBrowserNavigation   = "browser.navigation"
	attrNavigationHashChange = "browser.navigation.hash_change"
)

// mapOpenTelemetryBrowser maps the events of the OpenTelemetry JS browser
// instrumentations to the schema's: a navigation is a page view, unless
// only the URL's fragment changed, which footfall.js does not count either
// (it is kept, as no interaction).
func mapOpenTelemetryBrowser(lr plog.LogRecord) {
	if schema.EventName(lr) != eventBrowserNavigation {
		return
	}
	attrs := lr.Attributes()
	if v, ok := attrs.Get(attrNavigationHashChange); ok && v.Type() == pcommon.ValueTypeBool && v.Bool() {
		attrs.PutBool(schema.AttrEventInteractive, false)
		return
	}
	lr.SetEventName(schema.EventPageView)
}
