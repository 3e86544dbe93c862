// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package tracker holds the built footfall.js (web/tracker/dist), so that the
// browserevents receiver serves it from the collector binary. `make tracker`
// rebuilds it from src/; `make check-tracker` fails when the committed build
// is not what the sources give.
package tracker // import "github.com/footfall-analytics/footfall/web/tracker"

import _ "embed" // for the built script

// Script is the script-tag build of the tracker.
//
//go:embed dist/footfall.js
var Script []byte
