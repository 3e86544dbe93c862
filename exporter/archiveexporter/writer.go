// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package archiveexporter // import "github.com/footfall-analytics/footfall/exporter/archiveexporter"

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"

	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/metadata"
	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/rows"
	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/store"
	"github.com/footfall-analytics/footfall/internal/iocount"
)

// fileWriter writes a batch's rows as files, one partition after another.
type fileWriter struct {
	store     store.Store
	file      FileConfig
	telemetry *metadata.TelemetryBuilder
	open      *atomic.Int64
}

func (w *fileWriter) writeBatch(ctx context.Context, b rows.Batch) error {
	for _, p := range sortedPartitions(b.Events) {
		if err := writePartition(ctx, w, p, b.Events[p], func(e rows.Event) string { return e.EventID }); err != nil {
			return err
		}
	}
	for _, p := range sortedPartitions(b.Sessions) {
		if err := writePartition(ctx, w, p, b.Sessions[p], func(s rows.Session) string { return s.SessionID }); err != nil {
			return err
		}
	}
	return nil
}

func sortedPartitions[T any](m map[rows.Partition][]T) []rows.Partition {
	return slices.SortedFunc(maps.Keys(m), func(a, b rows.Partition) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Site, b.Site), a.Hour.Compare(b.Hour))
	})
}

// writePartition writes rows as one file, or several when one would pass
// file.max_bytes. The names depend only on the rows (their ids), so a
// batch written again after a failure replaces its own files.
func writePartition[T any](ctx context.Context, w *fileWriter, p rows.Partition, list []T, id func(T) string) error {
	batch := batchID(list, id)
	for part := 0; len(list) > 0; part++ {
		key := partitionKey(p, batch, part)
		written := 0
		w.open.Add(1)
		n, err := w.store.Put(ctx, key, func(out io.Writer) error {
			var err error
			written, err = encode(out, list, w.file)
			return err
		})
		w.open.Add(-1)
		if err != nil {
			w.telemetry.ExporterArchiveWriteErrors.Add(ctx, 1)
			return fmt.Errorf("archive %s: %w", key, err)
		}
		w.telemetry.ExporterArchiveFilesWritten.Add(ctx, 1, kindAttr(p.Kind))
		w.telemetry.ExporterArchiveBytesWritten.Add(ctx, n, kindAttr(p.Kind))
		list = list[written:]
	}
	return nil
}

// errNothingWritten guards the loop above against a file of no rows.
var errNothingWritten = errors.New("archive: no row fitted in a file")

// encode writes rows to one Parquet file (zstd, the schema version in its
// metadata) a row group at a time, and stops after the row group that
// takes it to file.max_bytes. It returns how many rows it wrote.
func encode[T any](out io.Writer, list []T, file FileConfig) (int, error) {
	counted := &iocount.Writer{W: out}
	pw := parquet.NewGenericWriter[T](counted,
		parquet.Compression(&parquet.Zstd),
		parquet.KeyValueMetadata("footfall.archive.schema_version", rows.SchemaVersion),
		parquet.MaxRowsPerRowGroup(file.RowGroupRows),
	)
	written := 0
	for written < len(list) && counted.N < file.MaxBytes {
		end := written + int(min(file.RowGroupRows, int64(len(list)-written)))
		if _, err := pw.Write(list[written:end]); err != nil {
			return 0, err
		}
		if err := pw.Flush(); err != nil {
			return 0, err
		}
		written = end
	}
	if err := pw.Close(); err != nil {
		return 0, err
	}
	if written == 0 {
		return 0, errNothingWritten
	}
	return written, nil
}

// partitionKey is the file's key in the Hive-style layout.
func partitionKey(p rows.Partition, batch string, part int) string {
	return fmt.Sprintf("kind=%s/site=%s/date=%s/hour=%s/part-%s-%03d.parquet",
		p.Kind, url.PathEscape(p.Site), p.Hour.Format("2006-01-02"), p.Hour.Format("15"), batch, part)
}

// batchID names a partition's rows by their ids.
func batchID[T any](list []T, id func(T) string) string {
	h := sha256.New()
	for _, r := range list {
		h.Write([]byte(id(r)))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
