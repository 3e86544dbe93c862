// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package storagetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
)

func TestClientsShareDataAcrossReopenButNotAcrossComponents(t *testing.T) {
	ctx := context.Background()
	ext := NewExtension()
	a := component.MustNewID("a")
	first, err := ext.GetClient(ctx, component.KindProcessor, a, "")
	require.NoError(t, err)
	require.NoError(t, first.Set(ctx, "k", []byte("v")))
	require.NoError(t, first.Close(ctx))
	_, err = first.Get(ctx, "k")
	require.ErrorIs(t, err, ErrClosed)

	reopened, err := ext.GetClient(ctx, component.KindProcessor, a, "")
	require.NoError(t, err)
	v, err := reopened.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, []byte("v"), v)

	other, err := ext.GetClient(ctx, component.KindProcessor, component.MustNewID("b"), "")
	require.NoError(t, err)
	v, err = other.Get(ctx, "k")
	require.NoError(t, err)
	assert.Nil(t, v)

	require.NoError(t, reopened.Delete(ctx, "k"))
	assert.Empty(t, ext.Snapshot(component.KindProcessor, a, ""))

	ext.FailWith = errors.New("disk full")
	require.ErrorContains(t, reopened.Set(ctx, "k", nil), "disk full")
}
