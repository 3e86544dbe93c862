// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package sessionizeprocessor groups browser events into sessions per site
// and visitor, drops duplicate events, emits session.start and session.end
// events into the stream, and keeps its state in a storage extension so that
// a restart neither loses nor double counts a session.
package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"
