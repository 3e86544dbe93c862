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
	var first float64
	found, err := each(endpoint, metric, labels, func(v float64) bool {
		first = v
		return false
	})
	return first, found, err
}

// Sum returns the sum of every series of metric whose labels include every
// given `name="value"` (the partitions of a processing collector, say), and
// whether there was one.
func Sum(endpoint, metric string, labels ...string) (float64, bool, error) {
	var sum float64
	found, err := each(endpoint, metric, labels, func(v float64) bool {
		sum += v
		return true
	})
	return sum, found, err
}

// each calls f with the value of each matching series until f returns false.
func each(endpoint, metric string, labels []string, f func(float64) bool) (bool, error) {
	resp, err := http.Get("http://" + endpoint + "/metrics") // #nosec G107 -- endpoints the caller started
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	found := false
	scanner := bufio.NewScanner(resp.Body)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, metric+"{") && !strings.HasPrefix(line, metric+" ") || !containsAll(line, labels) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err != nil {
			return false, fmt.Errorf("%s: %w", line, err)
		}
		found = true
		if !f(v) {
			break
		}
	}
	return found, scanner.Err()
}

func containsAll(line string, labels []string) bool {
	for _, l := range labels {
		if !strings.Contains(line, l) {
			return false
		}
	}
	return true
}
