// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package storageclient finds a component's client of a storage extension
// named in its configuration.
package storageclient // import "github.com/footfall-analytics/footfall/internal/storageclient"

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Get returns the client that the storage extension id of host gives the
// component self, of kind.
func Get(ctx context.Context, host component.Host, id component.ID, kind component.Kind, self component.ID) (storage.Client, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("storage: extension %q not found", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, kind, self, "")
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return client, nil
}
