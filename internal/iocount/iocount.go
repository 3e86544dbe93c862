// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package iocount counts the bytes written through a writer.
package iocount // import "github.com/footfall-analytics/footfall/internal/iocount"

import "io"

// Writer counts the bytes written through it to W.
type Writer struct {
	W io.Writer
	N int64
}

func (c *Writer) Write(p []byte) (int, error) {
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}
