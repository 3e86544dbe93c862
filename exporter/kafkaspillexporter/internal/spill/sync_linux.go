// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package spill // import "github.com/footfall-analytics/footfall/exporter/kafkaspillexporter/internal/spill"

import (
	"os"
	"syscall"
)

// fdatasync makes f's data durable without its access times.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) } // #nosec G115 -- a file descriptor
