// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package webanalyticsconnector turns the sessionized browser event stream
// into the metrics a web team looks at: page views, sessions, bounces, goals,
// revenue, unique and current visitors, and bounded breakdowns by page,
// source, campaign, country, device and browser.
package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"
