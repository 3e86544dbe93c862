// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// The event of the OpenTelemetry JS browser-navigation instrumentation
// (@opentelemetry/instrumentation-browser-navigation): one per page load
// and per same-document navigation, with url.full (docs/ingest.md).
const (
	eventBrowserNavigation   = "browser.navigation"
	attrNavigationHashChange = "browser.navigation.hash_change"
)

// openTelemetryEventName maps the events of the OpenTelemetry JS browser
// instrumentations to the schema's: a navigation is a page view, unless
// only the URL's fragment changed, which footfall.js does not count either
// (it is kept, as no interaction).
func openTelemetryEventName(name string, attrs pcommon.Map) string {
	if name != eventBrowserNavigation {
		return name
	}
	if v, ok := attrs.Get(attrNavigationHashChange); ok && v.Type() == pcommon.ValueTypeBool && v.Bool() {
		attrs.PutBool(schema.AttrEventInteractive, false)
		return name
	}
	return schema.EventPageView
}
