// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkaspillexporter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata/xhash"
)

// Each message is one resource's logs, byte for byte what the contrib
// Kafka exporter (partition_logs_by_resource_attributes, otlp_proto)
// marshals for it: a LogsData holding that resource alone, keyed by the
// hash of its attributes.
func TestOneMessagePerResourceAsContribWritesIt(t *testing.T) {
	ld := request(map[string][]string{"v1": {"a", "b"}, "v2": {"c"}, "v3": {"d", "e", "f"}})
	msgs, err := toMessages(ld, 1<<20)
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	for i, rl := range ld.ResourceLogs().All() {
		alone := plog.NewLogs()
		rl.CopyTo(alone.ResourceLogs().AppendEmpty())
		want, err := (&plog.ProtoMarshaler{}).MarshalLogs(alone)
		require.NoError(t, err)
		assert.Equal(t, want, msgs[i].value)
		hash := xhash.MapHash(rl.Resource().Attributes())
		assert.Equal(t, hash[:], msgs[i].key)
	}
}

func TestAResourceOverTheLimitIsSplitByRecords(t *testing.T) {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("footfall.visitor.id", "v")
	records := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i := range 40 {
		records.AppendEmpty().Body().SetStr(fmt.Sprintf("%03d %s", i, strings.Repeat("x", 100)))
	}
	msgs, err := toMessages(ld, 1000)
	require.NoError(t, err)
	require.Greater(t, len(msgs), 4)
	var bodies []string
	for _, m := range msgs {
		assert.LessOrEqual(t, len(m.value), 1000)
		assert.Equal(t, msgs[0].key, m.key, "one key: one partition")
		part, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(m.value)
		require.NoError(t, err)
		for _, lr := range part.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().All() {
			bodies = append(bodies, lr.Body().Str()[:3])
		}
	}
	var want []string
	for i := range 40 {
		want = append(want, fmt.Sprintf("%03d", i))
	}
	assert.Equal(t, want, bodies, "every record once, in order")
}

func TestARecordOverTheLimitIsPermanent(t *testing.T) {
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(strings.Repeat("x", 2000))
	_, err := toMessages(ld, 1000)
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
}

func TestSpillEntriesRoundTrip(t *testing.T) {
	msgs, err := toMessages(request(map[string][]string{"v1": {"a"}, "v2": {"b", "c"}}), 1<<20)
	require.NoError(t, err)
	got, err := readSpillEntry(spillEntry(msgs))
	require.NoError(t, err)
	assert.Equal(t, msgs, got)
	_, err = readSpillEntry(spillEntry(msgs)[:10])
	assert.ErrorIs(t, err, errBadEntry)
}

// FuzzReadSpillEntry: a spill entry read back from disk never panics, and
// what decodes encodes to an entry that decodes the same.
func FuzzReadSpillEntry(f *testing.F) {
	msgs, _ := toMessages(request(map[string][]string{"v1": {"a"}, "v2": {"b"}}), 1<<20)
	f.Add(spillEntry(msgs))
	f.Add([]byte{0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := readSpillEntry(b)
		if err != nil {
			return
		}
		again, err := readSpillEntry(spillEntry(got))
		require.NoError(t, err)
		require.Equal(t, len(got), len(again))
		for i := range got {
			require.Equal(t, string(got[i].key), string(again[i].key))
			require.Equal(t, string(got[i].value), string(again[i].value))
		}
	})
}
