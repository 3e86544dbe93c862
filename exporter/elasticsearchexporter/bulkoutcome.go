// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter // import "github.com/footfall-analytics/footfall/exporter/elasticsearchexporter"

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// bulkAnswer is a bulk request's answer: one outcome per action, in order.
type bulkAnswer struct {
	Errors bool                         `json:"errors"`
	Items  []map[string]bulkItemOutcome `json:"items"`
}

// bulkItemOutcome is what became of one document.
type bulkItemOutcome struct {
	Index  string `json:"_index"`
	ID     string `json:"_id"`
	Status int    `json:"status"`
	Error  *struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
}

// parseBulkAnswer reads the outcomes of a bulk request of n documents; an
// answer it cannot read, or with another number of items, means that all
// must be sent again.
func parseBulkAnswer(raw []byte, n int) ([]bulkItemOutcome, error) {
	if outcomes, ok := allCreated(raw, n); ok {
		return outcomes, nil
	}
	var answer bulkAnswer
	if err := json.Unmarshal(raw, &answer); err != nil || len(answer.Items) != n {
		return nil, fmt.Errorf("bulk response unreadable or with %d items for %d documents: %w", len(answer.Items), n, err)
	}
	outcomes := make([]bulkItemOutcome, n)
	for i, item := range answer.Items {
		for _, o := range item { // one key: the action, "create"
			outcomes[i] = o
		}
	}
	return outcomes, nil
}

// verdict is what becomes of a document after its outcome; its value is the
// outcome label of exporter_elasticsearch_documents.
type verdict string

const (
	verdictStored    verdict = "stored"
	verdictDuplicate verdict = "duplicate"
	verdictRetry     verdict = "retried"
	verdictRefused   verdict = "dead_lettered"
)

// verdictOf sorts an outcome by its status alone: error types differ
// between Elasticsearch versions and OpenSearch (testdata/responses), the
// statuses do not. 409 is a document stored before (every action is a
// create with its id); 429 and 5xx are worth another try; any other
// failure is refused for good.
func verdictOf(status int) verdict {
	switch {
	case status == http.StatusOK || status == http.StatusCreated:
		return verdictStored
	case status == http.StatusConflict:
		return verdictDuplicate
	case status == http.StatusTooManyRequests || status >= 500:
		return verdictRetry
	default:
		return verdictRefused
	}
}

func (o bulkItemOutcome) errorType() string {
	if o.Error == nil {
		return ""
	}
	return o.Error.Type
}

func (o bulkItemOutcome) errorReason() string {
	if o.Error == nil {
		return fmt.Sprintf("status %d", o.Status)
	}
	return o.Error.Reason
}

// bulkStatuses is a bulk answer read for its item statuses alone: decoding
// no strings and no map per item, it costs a fraction of bulkAnswer.
type bulkStatuses struct {
	Errors bool `json:"errors"`
	Items  []struct {
		Create struct {
			Status int `json:"status"`
		} `json:"create"`
	} `json:"items"`
}

// allCreated reads the usual answer, every create succeeded, cheaply: it
// reports false for anything else (an error, another action, another
// number of items), which parseBulkAnswer then reads in full.
func allCreated(raw []byte, n int) ([]bulkItemOutcome, bool) {
	var answer bulkStatuses
	if err := json.Unmarshal(raw, &answer); err != nil || answer.Errors || len(answer.Items) != n {
		return nil, false
	}
	outcomes := make([]bulkItemOutcome, n)
	for i, item := range answer.Items {
		if verdictOf(item.Create.Status) != verdictStored {
			return nil, false
		}
		outcomes[i].Status = item.Create.Status
	}
	return outcomes, true
}
