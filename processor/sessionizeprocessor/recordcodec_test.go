// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"encoding/binary"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/storagetest"
)

// A batch's entry holds its records compressed: the intake's batches of
// 20 take less than a quarter of their OTLP, and read back as the records
// that came.
func TestAnEntryHoldsItsRecordsCompressed(t *testing.T) {
	ext := storagetest.NewExtension()
	h := start(t, storageConfig(), ext, nil)
	batch := intakeTraffic(t, 20)[0]
	came := plog.NewLogs()
	batch.CopyTo(came)
	otlp, err := protoMarshaler.MarshalLogs(came)
	require.NoError(t, err)
	h.mustConsume(batch)
	h.crash()

	entries := writeAheadEntries(ext)
	require.Len(t, entries, 1)
	for _, entry := range entries {
		require.Equal(t, byte(walVersionCompressed), entry[0])
		assert.Less(t, len(entry), len(otlp)/4, "OTLP: %d bytes", len(otlp))
		const head = 1 + 1 + 3 // version, count 20, bitmap of 20
		var d recordDecoder
		records, err := d.decode(entry[head:])
		require.NoError(t, err)
		require.NoError(t, plogtest.CompareLogs(came, records))
	}
}

// Entries written before records were compressed hold them as OTLP
// protobuf; they are still replayed.
func TestReplaysAnEntryOfUncompressedRecords(t *testing.T) {
	ext := storagetest.NewExtension()
	client, err := ext.GetClient(t.Context(), component.KindProcessor, processorID, "")
	require.NoError(t, err)
	otlp, err := protoMarshaler.MarshalLogs(logsOf(pv("a", "e1", 0, "/"), click("a", "e2", 1)))
	require.NoError(t, err)
	entry := append([]byte{walVersion, 2, 0b11}, otlp...)
	require.NoError(t, client.Set(t.Context(), walKey(0), entry))

	cfg := storageConfig()
	cfg.FlushOnShutdown = true
	h := start(t, cfg, ext, nil)
	h.shutdown()
	assert.Empty(t, quarantined(ext))
	assert.Equal(t, []string{
		"a start S1 prev=", "a e1 S1 #1", "a e2 S1 #2",
		"a end S1 shutdown pv=1 events=2 bounce=false entry=/ exit=/",
	}, summary(h.output()))
}

// Compressed records that claim more than an entry may hold are refused
// before anything is allocated for them; broken ones say why; a large
// batch's buffer is not kept.
func TestRecordDecoderRefusesWhatNoEntryHolds(t *testing.T) {
	var d recordDecoder
	_, err := d.decode(binary.AppendUvarint(nil, maxRecordsBytes+1))
	require.ErrorContains(t, err, "more than the")
	assert.Nil(t, d.scratch, "nothing allocated")

	_, err = d.decode([]byte{0xff})
	require.Error(t, err)

	large := plog.NewLogs()
	lr := large.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Body().SetStr(string(make([]byte, 2*maxKeptScratch)))
	encoded, err := encodeRecords(large)
	require.NoError(t, err)
	records, err := d.decode(encoded)
	require.NoError(t, err)
	require.NoError(t, plogtest.CompareLogs(large, records))
	assert.Nil(t, d.scratch, "a buffer over maxKeptScratch is dropped")
}
