// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package promtext reads single values from a Prometheus text exposition
// endpoint, for the end-to-end tests and the benchmark runner.
package promtext // import "github.com/footfall-analytics/footfall/internal/promtext"

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Value returns the value of the first series of metric whose labels
// include every given `name="value"`, and whether there was one.
func Value(endpoint, metric string, labels ...string) (float64, bool, error) {
	resp, err := http.Get("http://" + endpoint + "/metrics") // #nosec G107 -- endpoints the caller started
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	scanner := bufio.NewScanner(resp.Body)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, metric+"{") || !containsAll(line, labels) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err != nil {
			return 0, false, fmt.Errorf("%s: %w", line, err)
		}
		return v, true, nil
	}
	return 0, false, scanner.Err()
}

func containsAll(line string, labels []string) bool {
	for _, l := range labels {
		if !strings.Contains(line, l) {
			return false
		}
	}
	return true
}
