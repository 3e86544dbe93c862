// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package jsoncount counts the items of a JSON request in one pass over
// its text, without decoding it: a small compressed body can hold hundreds
// of thousands of items, and decoding them costs far more than the request
// pays, so the intake counts first.
package jsoncount // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/jsoncount"

import "slices"

// MoreThan reports whether body holds more than limit objects in arrays
// under one of keys: anywhere, or only in the root object (rootOnly). It
// reads structure, not meaning: it never counts fewer such objects than a
// JSON decoder finds in valid JSON, and reports false for text it cannot
// follow, which the decoder then refuses.
func MoreThan(body []byte, limit int, rootOnly bool, keys ...string) bool {
	// counting[i] says whether the array open at depth i holds items.
	var counting []bool
	var key []byte // the key the next value belongs to
	count := 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			end := stringEnd(body, i+1)
			if end < 0 {
				return false
			}
			if next := skipSpace(body, end+1); next < len(body) && body[next] == ':' {
				key = body[i+1 : end]
			}
			i = end
		case '{':
			if len(counting) > 0 && counting[len(counting)-1] {
				count++
				if count > limit {
					return true
				}
			}
			counting = append(counting, false)
		case '[':
			holds := (!rootOnly || len(counting) == 1) && slices.Contains(keys, string(key))
			counting = append(counting, holds)
			key = nil
		case '}', ']':
			if len(counting) == 0 {
				return false
			}
			counting = counting[:len(counting)-1]
		}
	}
	return false
}

// stringEnd is the index of the quote that ends the string starting at
// from, or -1.
func stringEnd(body []byte, from int) int {
	for i := from; i < len(body); i++ {
		switch body[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func skipSpace(body []byte, from int) int {
	for from < len(body) && (body[from] == ' ' || body[from] == '\t' || body[from] == '\n' || body[from] == '\r') {
		from++
	}
	return from
}
