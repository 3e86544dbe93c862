// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package problems

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOnlyTheFirstFewAreKept(t *testing.T) {
	var l List
	for i := range 8 {
		l.Addf("item %d", i)
	}
	l.Add("late")
	assert.Equal(t, List{"item 0", "item 1", "item 2", "item 3", "item 4"}, l)
}

func TestNothingIsFormattedPastTheBound(t *testing.T) {
	var l List
	for range Kept {
		l.Add("x")
	}
	formatted := false
	l.Addf("%v", stringer(func() { formatted = true }))
	assert.False(t, formatted)
	assert.Len(t, l, Kept)
}

type stringer func()

func (s stringer) String() string { s(); return "called" }
