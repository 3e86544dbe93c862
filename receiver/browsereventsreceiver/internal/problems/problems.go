// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package problems keeps what was wrong with a request's refused items, for
// its answer: the first few, so that a request of a thousand bad items
// neither formats a thousand messages nor answers with them.
package problems // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/problems"

import "fmt"

// Kept is how many problems an answer names.
const Kept = 5

// List is the first Kept problems of a request.
type List []string

// Add keeps msg if fewer than Kept are kept.
func (l *List) Add(msg string) {
	if len(*l) < Kept {
		*l = append(*l, msg)
	}
}

// Addf keeps the formatted message if fewer than Kept are kept; it formats
// nothing otherwise.
func (l *List) Addf(format string, args ...any) {
	if len(*l) < Kept {
		*l = append(*l, fmt.Sprintf(format, args...))
	}
}
