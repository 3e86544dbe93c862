// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package store keeps the archive's finished files: in a local directory (or
// a mounted filesystem) or in S3-compatible object storage, behind one small
// interface. Either way a file becomes visible whole or not at all.
package store // import "github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/store"

import (
	"context"
	"io"
)

// Store keeps files by key (a slash-separated path).
type Store interface {
	// Put writes a file with write and makes it visible under key only
	// once write and the storage have both succeeded: a failure or a
	// crash on the way leaves no file under key. It returns the bytes
	// stored.
	Put(ctx context.Context, key string, write func(io.Writer) error) (int64, error)
}
