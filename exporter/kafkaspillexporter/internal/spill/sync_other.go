// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:build !linux

package spill // import "github.com/footfall-analytics/footfall/exporter/kafkaspillexporter/internal/spill"

import "os"

func fdatasync(f *os.File) error { return f.Sync() }
