// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"
)

// Whatever a message holds, the answer fits in maxAnswerBytes, in every
// encoding, and stays valid.
func TestFitMessageBoundsEveryAnswer(t *testing.T) {
	for _, message := range []string{
		"short",
		strings.Repeat("<", 100_000),
		strings.Repeat("\x01é\"", 50_000),
		strings.Repeat("x", maxAnswerBytes),
	} {
		jsonBody, err := fitMessage(message, func(m string) ([]byte, error) { return encodeJSON(map[string]string{"error": m}) })
		require.NoError(t, err)
		assert.LessOrEqual(t, len(jsonBody), maxAnswerBytes)
		var decoded map[string]string
		require.NoError(t, json.Unmarshal(jsonBody, &decoded))
		assert.True(t, strings.HasPrefix(message, decoded["error"]), "the message is cut, not changed")
		assert.True(t, utf8.ValidString(decoded["error"]))

		for _, enc := range []intake.Encoding{intake.JSON, intake.Protobuf} {
			body, err := fitMessage(message, func(m string) ([]byte, error) { return intake.MarshalStatus(enc, 3, m), nil })
			require.NoError(t, err)
			assert.LessOrEqual(t, len(body), maxAnswerBytes)
		}
	}
	body, err := fitMessage("short", func(m string) ([]byte, error) { return encodeJSON(map[string]string{"error": m}) })
	require.NoError(t, err)
	assert.JSONEq(t, `{"error":"short"}`, string(body), "a short message is kept whole")
}
