// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package attr // import "github.com/footfall-analytics/footfall/internal/attr"

import (
	"strconv"
)

// MaxQuotedBytes is how much of a client's string a refusal quotes.
const MaxQuotedBytes = 64

// Quote quotes what a client sent for an error message, cut to
// MaxQuotedBytes: a refusal must never be larger than what it refuses, or
// one small compressed request could make the collector write megabytes.
func Quote(s string) string {
	if len(s) <= MaxQuotedBytes {
		return strconv.Quote(s)
	}
	return strconv.Quote(TruncateUTF8(s, MaxQuotedBytes)) + "... (" + strconv.Itoa(len(s)) + " bytes)"
}
