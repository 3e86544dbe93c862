// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/internal/sourcelog"
	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadatatest"
)

// recordLog is a storage extension whose batches come from a log they can
// be read again from, as the kafkastream receiver's come from the events
// topic: the harness hands each batch on with a reference to its copy
// here, and the clients read them again (sourcelog.Reader).
type recordLog struct {
	*storagetest.Extension
	mu      sync.Mutex
	records map[string]plog.Logs
	reads   int
	// err, when set, is what every read answers.
	err error
}

func newRecordLog() *recordLog {
	return &recordLog{Extension: storagetest.NewExtension(), records: map[string]plog.Logs{}}
}

// add keeps a copy of ld as it is handed on, and returns its reference.
func (l *recordLog) add(ld plog.Logs) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	ref := fmt.Sprintf("offset-%d", len(l.records))
	l.records[ref] = cloneLogs(ld)
	return []byte(ref)
}

// forget drops every record, as a log's retention does.
func (l *recordLog) forget() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.records)
}

func (l *recordLog) failWith(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = err
}

func (l *recordLog) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	client, err := l.Extension.GetClient(ctx, kind, id, name)
	return logClient{Client: client, log: l}, err
}

type logClient struct {
	storage.Client
	log *recordLog
}

func (c logClient) ReadAgain(_ context.Context, ref []byte) (plog.Logs, error) {
	l := c.log
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads++
	if l.err != nil {
		return plog.Logs{}, l.err
	}
	ld, ok := l.records[string(ref)]
	if !ok {
		return plog.Logs{}, fmt.Errorf("%w: no %s", sourcelog.ErrGone, ref)
	}
	return cloneLogs(ld), nil
}

// writeAheadEntries returns the write-ahead entries a storage holds.
func writeAheadEntries(ext *storagetest.Extension) map[string][]byte {
	entries := map[string][]byte{}
	for key, value := range ext.Snapshot(component.KindProcessor, processorID, "") {
		if strings.HasPrefix(key, "wal/") {
			entries[key] = value
		}
	}
	return entries
}

// A crash loses nothing when the write-ahead entries hold where their
// records can be read again instead of the records: the restarted
// processor reads them again and gives the output a processor that never
// stopped gives.
func TestCrashReplaysRecordsReadAgain(t *testing.T) {
	forEachWAL(t, func(t *testing.T, walDir string) {
		log := newRecordLog()
		testCrashReplaysSinceLastCheckpoint(t, walDir, log, func(h *harness) {
			h.checkpointAt(t0.Add(time.Hour))
		})
		assert.Positive(t, log.reads, "the restart read records again")
	})
}

// An entry holds the reference, not the records.
func TestAnEntryHoldsTheReferenceNotTheRecords(t *testing.T) {
	log := newRecordLog()
	h := start(t, storageConfig(), log, nil)
	batch := logsOf(pv("a", "e1", 0, "/"), click("a", "e2", time.Second), pv("b", "e3", 2*time.Second, "/pricing"))
	records, err := protoMarshaler.MarshalLogs(batch)
	require.NoError(t, err)
	h.mustConsume(batch)
	h.crash()

	entries := writeAheadEntries(log.Extension)
	require.Len(t, entries, 1)
	for _, entry := range entries {
		assert.Equal(t, byte(walVersionByRef), entry[0])
		assert.Equal(t, "offset-0", string(entry[3:]), "version, count 3, bitmap, then the reference")
		assert.Less(t, len(entry), len(records)/10)
	}
}

// A reference whose records the log no longer holds (its retention deleted
// them) cannot ever be read: the entry is moved aside and counted, and the
// processor starts with the rest.
func TestAnEntryWhoseRecordsAreGoneIsMovedAside(t *testing.T) {
	log := newRecordLog()
	first := start(t, storageConfig(), log, nil)
	first.mustConsume(logsOf(pv("a", "e1", 0, "/")))
	first.crash()
	log.forget()

	cfg := storageConfig()
	cfg.FlushOnShutdown = true
	second := start(t, cfg, log, nil)
	assert.Equal(t, []string{walKey(0)}, quarantined(log.Extension))
	metadatatest.AssertEqualProcessorSessionizeStateQuarantined(t, second.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: attribute.NewSet(attribute.String("part", partWAL))}},
		metricdatatest.IgnoreTimestamp())
	second.mustConsume(logsOf(pv("b", "e2", time.Minute, "/")))
	second.shutdown()
	assert.Contains(t, summary(second.output()), "b e2 S1 #1")
}

// A log that does not answer now may answer later: the start fails and the
// entry stays, and the next start replays it. What the records held that
// was dropped when they came is not counted again.
func TestAnEntryIsKeptWhileItsLogDoesNotAnswer(t *testing.T) {
	const dropped = "otelcol_processor_sessionize_events_dropped"
	log := newRecordLog()
	first := start(t, storageConfig(), log, nil)
	first.mustConsume(logsOf(pv("a", "e1", 0, "/"), pv("a", "", time.Second, "/no-id")))
	first.crash()
	_, err := first.telemetry.GetMetric(dropped)
	require.NoError(t, err, "the event without an id was dropped when it came")

	log.failWith(errors.New("broker not reachable"))
	p, err := newProcessor(storageConfig(), metadatatest.NewSettings(newTelemetry(t)), nil, clockwork.NewRealClock())
	require.NoError(t, err)
	err = p.Start(context.Background(), storagetest.Host{Extensions: map[component.ID]component.Component{storageID: log}})
	require.ErrorContains(t, err, "broker not reachable")
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Empty(t, quarantined(log.Extension))
	assert.Len(t, writeAheadEntries(log.Extension), 1)

	log.failWith(nil)
	cfg := storageConfig()
	cfg.FlushOnShutdown = true
	second := start(t, cfg, log, nil)
	second.shutdown()
	assert.Contains(t, summary(second.output()), "a e1 S1 #1")
	_, err = second.telemetry.GetMetric(dropped)
	assert.Error(t, err, "the replay counts no drop")
}
