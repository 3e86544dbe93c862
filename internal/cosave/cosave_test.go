// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package cosave

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"
)

// storage stands in for a storage extension instance.
type storage struct {
	component.StartFunc
	component.ShutdownFunc
	name string
}

type participant struct{ saved []int64 }

func (p *participant) SaveState(_ context.Context, epoch int64) error {
	p.saved = append(p.saved, epoch)
	return nil
}
func (*participant) RestoreState(context.Context, int64) error { return nil }
func (*participant) ReplayDelivered()                          {}

// Participants meet only through the same storage extension instance.
func TestMembersAreKeyedByTheStorageInstance(t *testing.T) {
	storageA, storageB := &storage{name: "a"}, &storage{name: "b"}
	p, q := &participant{}, &participant{}
	leaveP := Join(storageA, p)
	leaveQ := Join(storageB, q)
	assert.Equal(t, []Participant{p}, Members(storageA))
	assert.Equal(t, []Participant{q}, Members(storageB))
	leaveP()
	assert.Empty(t, Members(storageA))
	leaveQ()
	assert.Empty(t, Members(storageB))
}
