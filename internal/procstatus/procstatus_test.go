// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package procstatus

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadsThisProcess(t *testing.T) {
	self, err := MiB(0, "VmRSS")
	require.NoError(t, err)
	byPid, err := MiB(os.Getpid(), "VmHWM")
	require.NoError(t, err)
	assert.Positive(t, self)
	assert.GreaterOrEqual(t, byPid, self*0.5, "the peak is at least about the current")
	_, err = MiB(0, "NoSuchField")
	assert.Error(t, err)
}
