// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import "math"

// scanner reads the JSON the fast decoder knows (fastjson.go). Each method
// skips the whitespace before what it reads and reports false for anything
// else, leaving the request to pdata's decoder: a string with an escape or
// a control character, a number with a fraction where an integer is due,
// null, a trailing comma. It never allocates.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i == len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// take consumes c if it comes next.
func (s *scanner) take(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool { return s.peek() == 0 && s.i == len(s.b) }

// object reads an object, calling field with each key (never empty: pdata's
// decoder reads an empty key as the object's end); field reads the value.
func (s *scanner) object(field func(key []byte) bool) bool {
	if !s.take('{') {
		return false
	}
	if s.take('}') {
		return true
	}
	for {
		key, ok := s.bytes()
		if !ok || len(key) == 0 || !s.take(':') || !field(key) {
			return false
		}
		switch {
		case s.take(','):
		case s.take('}'):
			return true
		default:
			return false
		}
	}
}

// array reads an array, calling item to read each element.
func (s *scanner) array(item func() bool) bool {
	if !s.take('[') {
		return false
	}
	if s.take(']') {
		return true
	}
	for {
		if !item() {
			return false
		}
		switch {
		case s.take(','):
		case s.take(']'):
			return true
		default:
			return false
		}
	}
}

// bytes reads a string without escapes or control characters, returning
// its contents in place.
func (s *scanner) bytes() ([]byte, bool) {
	if !s.take('"') {
		return nil, false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// string reads a string as bytes does, copied.
func (s *scanner) string() (string, bool) {
	b, ok := s.bytes()
	return string(b), ok
}

func (s *scanner) boolean() (value, ok bool) {
	s.ws()
	rest := s.b[s.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		s.i += 4
		return true, s.delimited()
	case len(rest) >= 5 && string(rest[:5]) == "false":
		s.i += 5
		return false, s.delimited()
	}
	return false, false
}

// delimited reports whether a literal or number ends where it should: at a
// structural character, whitespace or the end.
func (s *scanner) delimited() bool {
	if s.i == len(s.b) {
		return true
	}
	switch s.b[s.i] {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// plainUint reads a number that is a plain decimal integer (no sign,
// fraction, exponent or leading zero) that fits in 64 bits.
func (s *scanner) plainUint() (uint64, bool) {
	s.ws()
	start := s.i
	var n uint64
	for ; s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9'; s.i++ {
		d := uint64(s.b[s.i] - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	digits := s.i - start
	if digits == 0 || digits > 1 && s.b[start] == '0' {
		return 0, false
	}
	return n, s.delimited()
}

// plainInt reads a plain decimal integer, as plainUint, with an optional
// minus sign, that fits in an int64.
func (s *scanner) plainInt() (int64, bool) {
	negative := s.take('-')
	if negative && (s.i == len(s.b) || s.b[s.i] < '0' || s.b[s.i] > '9') {
		return 0, false // no whitespace between the sign and the digits
	}
	n, ok := s.plainUint()
	switch {
	case !ok:
		return 0, false
	case negative && n <= 1<<63:
		return int64(-n), true // -(1<<63) wraps to MinInt64, as it should
	case !negative && n <= math.MaxInt64:
		return int64(n), true
	}
	return 0, false
}

// number reads a JSON number as written, for strconv to parse.
func (s *scanner) number() ([]byte, bool) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	integer := s.i
	if !s.digits() || s.i-integer > 1 && s.b[integer] == '0' {
		return nil, false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return nil, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return nil, false
		}
	}
	return s.b[start:s.i], s.delimited()
}

// digits consumes decimal digits and reports whether there were any.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
