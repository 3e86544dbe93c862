// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package grafana reads the dashboards in dashboards/ so that tests can run
// their panel queries the way Grafana would.
package grafana // import "github.com/footfall-analytics/footfall/internal/grafana"

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Dashboard is the part of a Grafana dashboard the tests read.
type Dashboard struct {
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Panels []Panel `json:"panels"`
}

// Panel is one panel and its queries.
type Panel struct {
	ID      int      `json:"id"`
	Title   string   `json:"title"`
	Type    string   `json:"type"`
	Targets []Target `json:"targets"`
}

// Target is one query of a panel.
type Target struct {
	RefID      string     `json:"refId"`
	Datasource Datasource `json:"datasource"`
	// Expr is a PromQL query (Prometheus targets).
	Expr    string `json:"expr"`
	Instant bool   `json:"instant"`
	// Query is a Lucene query (Elasticsearch targets).
	Query string `json:"query"`
}

// Datasource names a panel's or target's data source.
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Prometheus reports whether the target is a PromQL query.
func (t Target) Prometheus() bool {
	return t.Datasource.Type == "" || t.Datasource.Type == "prometheus"
}

// Load reads every *.json dashboard in dir.
func Load(dir string) ([]Dashboard, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Dashboard
	for _, path := range paths {
		data, err := os.ReadFile(path) // #nosec G304 -- the repository's own dashboards
		if err != nil {
			return nil, err
		}
		var d Dashboard
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// Range and RateInterval are what the tests put for Grafana's $__range and
// $__rate_interval.
const (
	Range        = "1h"
	RateInterval = "1m"
)

// Expand replaces the dashboard variables as Grafana would for the given site.
func Expand(expr, site string) string {
	return strings.NewReplacer(
		"$__rate_interval", RateInterval,
		"$__range", Range,
		"$site", site,
	).Replace(expr)
}
