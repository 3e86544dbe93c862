// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package procstatus reads a process's memory figures from
// /proc/<pid>/status, for the benchmarks.
package procstatus // import "github.com/footfall-analytics/footfall/internal/procstatus"

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// MiB returns field (VmRSS, VmHWM, ...) of the status of process pid, or of
// this process when pid is 0, in MiB.
func MiB(pid int, field string) (float64, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	data, err := os.ReadFile(path) // #nosec G304 -- a /proc path built from a pid
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in %s", field, path)
}

// ResetPeak sets this process's VmHWM to its current RSS (Linux's
// clear_refs), so that a benchmark measures the peak of one step.
func ResetPeak() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
