// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"

import (
	"github.com/footfall-analytics/footfall/internal/attr"
)

// maxAnswerBytes bounds every body the intake answers with. A message
// quotes what a client sent (cut by attr.Quote), but several quotes, and
// the encoding's escapes, could still add up: an answer must stay small
// whatever a request held, or refusals become an amplifier.
const maxAnswerBytes = 1024

// fitMessage encodes an answer carrying message, cutting the message until
// the encoded answer fits in maxAnswerBytes.
func fitMessage(message string, encode func(string) ([]byte, error)) ([]byte, error) {
	for {
		body, err := encode(message)
		if err != nil || len(body) <= maxAnswerBytes || message == "" {
			return body, err
		}
		// Escapes take at most six bytes per byte of message: cutting by
		// the excess (at least a sixth of it) ends in a few rounds.
		excess := len(body) - maxAnswerBytes
		message = attr.TruncateUTF8(message, max(0, len(message)-max(excess, len(message)/6)))
	}
}
