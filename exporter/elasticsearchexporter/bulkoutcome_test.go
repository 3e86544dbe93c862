// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

func recordedAnswer(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "responses", name))
	require.NoError(t, err)
	return raw
}

// Elasticsearch 8 and OpenSearch 2 name their errors differently; every
// document is sorted by its status alone, so both answers mean the same,
// and neither's value preview reaches the log.
func TestBulkAnswersOfElasticsearchAndOpenSearchMeanTheSame(t *testing.T) {
	for _, tt := range []struct {
		file  string
		types []string
	}{
		{"elasticsearch-8.json", []string{"", "version_conflict_engine_exception", "es_rejected_execution_exception", "document_parsing_exception", "unavailable_shards_exception"}},
		{"opensearch-2.json", []string{"", "version_conflict_engine_exception", "rejected_execution_exception", "mapper_parsing_exception", "unavailable_shards_exception"}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			outcomes, err := parseBulkAnswer(recordedAnswer(t, tt.file), 5)
			require.NoError(t, err)
			var verdicts []verdict
			var types []string
			for _, o := range outcomes {
				verdicts = append(verdicts, verdictOf(o.Status))
				types = append(types, o.errorType())
			}
			assert.Equal(t, []verdict{verdictStored, verdictDuplicate, verdictRetry, verdictRefused, verdictRetry}, verdicts)
			assert.Equal(t, tt.types, types)
			assert.Equal(t, "shop:a-e3", outcomes[3].ID)
			logged := logSafe(outcomes[3].errorReason())
			assert.Contains(t, logged, "failed to parse field [footfall.engagement.time_ms]")
			assert.NotContains(t, logged, "jane@example.com", "the value preview stays out of the log")

			_, err = parseBulkAnswer(recordedAnswer(t, tt.file), 6)
			assert.ErrorContains(t, err, "with 5 items for 6 documents", "an answer for other documents is not read")
		})
	}
}

// The usual answer, every create stored, is read by its statuses alone;
// one that says otherwise anywhere is read in full, and a count that does
// not match is still refused.
func TestAnAllCreatedAnswerIsReadByItsStatuses(t *testing.T) {
	created := `{"took":3,"errors":false,"items":[` +
		`{"create":{"_index":"logs-footfall.events-default","_id":"shop:a-e0","_version":1,"result":"created","status":201}},` +
		`{"create":{"_index":"logs-footfall.events-default","_id":"shop:a-e1","_version":1,"result":"created","status":201}}]}`
	outcomes, ok := allCreated([]byte(created), 2)
	require.True(t, ok)
	assert.Equal(t, []bulkItemOutcome{{Status: 201}, {Status: 201}}, outcomes)
	_, err := parseBulkAnswer([]byte(created), 3)
	assert.ErrorContains(t, err, "with 2 items for 3 documents")

	for _, file := range []string{"elasticsearch-8.json", "opensearch-2.json"} {
		_, ok := allCreated(recordedAnswer(t, file), 5)
		assert.False(t, ok, "%s has errors: it is read in full", file)
	}
	// errors: false beside a failed item (a proxy's rewrite) is read in full.
	lying := `{"took":3,"errors":false,"items":[{"create":{"_index":"i","_id":"x","status":429,"error":{"type":"es_rejected_execution_exception"}}}]}`
	_, ok = allCreated([]byte(lying), 1)
	assert.False(t, ok)
	full, err := parseBulkAnswer([]byte(lying), 1)
	require.NoError(t, err)
	assert.Equal(t, verdictRetry, verdictOf(full[0].Status))
}

// fiveEvents is one visitor's five page views, a-e0 to a-e4: the documents
// the recorded answers are answers to.
func fiveEvents() plog.Logs {
	ld := visit("a", 5)
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
		return schema.IsReservedEventName(lr.EventName())
	})
	return ld
}

// Given Elasticsearch 8's answer, the exporter sends again only the two
// documents answered 429 and 503, dead-letters the one refused, and counts
// each by its outcome and error type.
func TestElasticsearchAnswerIsActedOnPerDocument(t *testing.T) {
	server := newServer(t)
	server.Recorded = [][]byte{recordedAnswer(t, "elasticsearch-8.json")}
	h := start(t, server, nil)
	require.NoError(t, h.exporter.ConsumeLogs(context.Background(), fiveEvents()))

	stored := server.Docs(eventsIndex)
	assert.Len(t, stored, 2)
	assert.Contains(t, stored, "shop:a-e2")
	assert.Contains(t, stored, "shop:a-e4")
	assert.Contains(t, server.Docs(deadIndex), eventsIndex+":shop:a-e3")
	assert.Equal(t, 5+1+2, server.BulkItems(), "the first request, its dead letter, and the two sent again")
	counts := documentCounts(t, h.telemetry)
	assert.Equal(t, int64(1+1+2), counts["stored/"], "the first, the dead letter, the two sent again")
	assert.Equal(t, int64(1), counts["duplicate/version_conflict_engine_exception"])
	assert.Equal(t, int64(1), counts["retried/es_rejected_execution_exception"])
	assert.Equal(t, int64(1), counts["retried/unavailable_shards_exception"])
	assert.Equal(t, int64(1), counts["dead_lettered/document_parsing_exception"])
}

// OpenSearch does not say it is Elasticsearch, and the Elasticsearch
// client refuses it: the exporter fails with that reason, never takes its
// answers for Elasticsearch's (README: OpenSearch is not supported).
func TestOpenSearchIsRefusedByName(t *testing.T) {
	server := newServer(t)
	server.Product = ""
	server.Recorded = [][]byte{recordedAnswer(t, "opensearch-2.json")}
	h := start(t, server, nil, func(cfg *Config) {
		cfg.Retry.Enabled = false
		cfg.Templates.Install = false
	})
	err := h.exporter.ConsumeLogs(context.Background(), fiveEvents())
	require.ErrorContains(t, err, "the server is not Elasticsearch")
	assert.Empty(t, server.Docs(eventsIndex))
}
