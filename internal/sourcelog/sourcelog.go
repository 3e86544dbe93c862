// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package sourcelog lets a component that reads its records from a
// durable log tell the sessionizer where a batch can be read again, so that
// the batch's write-ahead entry holds that reference rather than a copy of
// the records.
//
// The kafkastream receiver is such a component: its records are in a
// partition of the events topic, and the sessionizer's write-ahead entries
// go to the partition's changelog topic. With references, an event's bytes
// are in Kafka once, not twice.
//
//  1. The reader hands a batch on with WithRef(ctx, ref): ref names the
//     records in its log, in an encoding only the reader knows.
//  2. The sessionizer's storage client is a Reader. The sessionizer writes
//     ref in the batch's write-ahead entry in place of the records.
//  3. At restore, the sessionizer gives ref back to ReadAgain and replays
//     the records it returns, as it replays records it wrote itself.
package sourcelog // import "github.com/footfall-analytics/footfall/internal/sourcelog"

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/pdata/plog"
)

// ErrGone is wrapped by a ReadAgain error when the records will never be
// read again: the log no longer holds them (its retention deleted them, or
// it is another log now), or the reference is not one the reader wrote.
// Any other error is one the log may not give when asked again.
var ErrGone = errors.New("the records are no longer in the log they were read from")

// Reader reads records again from the log they were read from.
type Reader interface {
	// ReadAgain returns the records ref names, in the order they were
	// handed on.
	ReadAgain(ctx context.Context, ref []byte) (plog.Logs, error)
}

type refKey struct{}

// WithRef returns ctx carrying where the records handed on with it can be
// read again.
func WithRef(ctx context.Context, ref []byte) context.Context {
	return context.WithValue(ctx, refKey{}, ref)
}

// RefFrom returns the reference ctx carries, if any.
func RefFrom(ctx context.Context) ([]byte, bool) {
	ref, ok := ctx.Value(refKey{}).([]byte)
	return ref, ok && len(ref) > 0
}
