// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package browsereventsreceiver receives page views, clicks and custom events
// from browsers as OTLP/HTTP logs, checks them against the configured sites,
// and enriches every event with a cookieless visitor id, user agent, referrer,
// campaign and geo attributes so that no later stage needs the HTTP request.
package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"
