// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package storagetest gives tests a storage extension that keeps its data in
// memory, shared by every client of the same extension, so that a test can
// stop a component and start a new one on the "same disk".
package storagetest // import "github.com/footfall-analytics/footfall/internal/storagetest"

import (
	"context"
	"errors"
	"maps"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// ErrClosed is returned by a client used after Close.
var ErrClosed = errors.New("storage client is closed")

// Extension is an in-memory storage extension.
type Extension struct {
	mu   sync.Mutex
	data map[string]map[string][]byte // client name -> key -> value
	// FailWith, when set, makes every operation of every client fail.
	FailWith error
}

var _ storage.Extension = (*Extension)(nil)

// NewExtension returns an empty extension.
func NewExtension() *Extension {
	return &Extension{data: map[string]map[string][]byte{}}
}

// Start implements component.Component.
func (*Extension) Start(context.Context, component.Host) error { return nil }

// Shutdown implements component.Component.
func (*Extension) Shutdown(context.Context) error { return nil }

// GetClient returns a client for one component, as the file_storage extension
// does: two components never see each other's keys.
func (e *Extension) GetClient(_ context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	return &client{ext: e, bucket: kind.String() + "/" + id.String() + "/" + name}, nil
}

// Snapshot copies what a client of the given component holds, for assertions.
func (e *Extension) Snapshot(kind component.Kind, id component.ID, name string) map[string][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.data[kind.String()+"/"+id.String()+"/"+name])
}

type client struct {
	ext    *Extension
	bucket string
	closed bool
}

func (c *client) Get(ctx context.Context, key string) ([]byte, error) {
	op := storage.GetOperation(key)
	err := c.Batch(ctx, op)
	return op.Value, err
}

func (c *client) Set(ctx context.Context, key string, value []byte) error {
	return c.Batch(ctx, storage.SetOperation(key, value))
}

func (c *client) Delete(ctx context.Context, key string) error {
	return c.Batch(ctx, storage.DeleteOperation(key))
}

func (c *client) Batch(_ context.Context, ops ...*storage.Operation) error {
	c.ext.mu.Lock()
	defer c.ext.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if c.ext.FailWith != nil {
		return c.ext.FailWith
	}
	bucket := c.ext.data[c.bucket]
	if bucket == nil {
		bucket = map[string][]byte{}
		c.ext.data[c.bucket] = bucket
	}
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			if v, ok := bucket[op.Key]; ok {
				op.Value = append([]byte(nil), v...)
			} else {
				op.Value = nil
			}
		case storage.Set:
			bucket[op.Key] = append([]byte(nil), op.Value...)
		case storage.Delete:
			delete(bucket, op.Key)
		}
	}
	return nil
}

func (c *client) Close(context.Context) error {
	c.ext.mu.Lock()
	defer c.ext.mu.Unlock()
	c.closed = true
	return nil
}

// Host is a component.Host holding the given extensions.
type Host struct {
	Extensions map[component.ID]component.Component
}

// GetExtensions implements component.Host.
func (h Host) GetExtensions() map[component.ID]component.Component { return h.Extensions }
