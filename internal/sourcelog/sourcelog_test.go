// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sourcelog

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestARefTravelsWithItsContext(t *testing.T) {
	ctx := WithRef(context.Background(), []byte{1, 2})
	ref, ok := RefFrom(ctx)
	assert.True(t, ok)
	assert.Equal(t, []byte{1, 2}, ref)

	_, ok = RefFrom(context.Background())
	assert.False(t, ok, "no reference was given")
	_, ok = RefFrom(WithRef(context.Background(), nil))
	assert.False(t, ok, "an empty reference names nothing")
}
