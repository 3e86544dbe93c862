// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:build !unix

package diskguard // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/diskguard"

import "errors"

// freeBytes cannot be read here: the guard admits every write.
func freeBytes(string) (int64, error) { return 0, errors.ErrUnsupported }
