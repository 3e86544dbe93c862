// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import (
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/problems"
)

// Result is the outcome for one request.
type Result struct {
	Logs     plog.Logs
	Accepted int
	Rejected map[Reason]int
	// Messages says what was wrong with the first few rejected records.
	Messages problems.List
	// Bots counts the events judged a bot's, dropped or flagged.
	Bots map[BotCount]int
}

// BotCount is a site and the reason its events were judged a bot's.
type BotCount struct {
	Site, Reason string
}

// RejectedCount is the number of records refused for any reason.
func (r *Result) RejectedCount() int {
	n := 0
	for _, c := range r.Rejected {
		n += c
	}
	return n
}

// Add counts n records refused before enrichment, with their messages.
func (r *Result) Add(reason Reason, n int, messages []string) {
	if n == 0 {
		return
	}
	if r.Rejected == nil {
		r.Rejected = map[Reason]int{}
	}
	r.Rejected[reason] += n
	for _, m := range messages {
		r.Messages.Add(m)
	}
}

func (r *Result) reject(reason Reason, n int, format string, args ...any) {
	if n == 0 {
		return
	}
	if r.Rejected == nil {
		r.Rejected = map[Reason]int{}
	}
	r.Rejected[reason] += n
	if format != "" {
		r.Messages.Addf(format, args...)
	}
}

func (r *Result) countBot(site, reason string) {
	if r.Bots == nil {
		r.Bots = map[BotCount]int{}
	}
	r.Bots[BotCount{Site: site, Reason: reason}]++
}
