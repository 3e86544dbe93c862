// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/topk"
	"github.com/footfall-analytics/footfall/internal/binread"
	"github.com/footfall-analytics/footfall/internal/binwrite"
)

// A save is encoded field by field, varint-framed (binaryStateMagic, then
// stateVersion, then savedState's fields in order, each list as its count
// and its elements; times as Unix nanoseconds). Every string (metric
// names, sites, label values, top-K keys) is written once and then by its
// number (binwrite.Interned): a delta names a few metrics and sites over
// and over. Values are written as varints when whole (binwrite.FloatCompact):
// they are counts, but for sums of revenue and durations. Versions 1 and 2
// were gob streams, which are still read: a gob stream carries its types'
// descriptions, about 700 bytes, with every save, a quarter of a typical
// delta's bytes in a kafkastream partition's changelog.
//
// binaryStateMagic begins every save of version 3 on; no gob stream begins
// with it (its first byte is a length: below 0x80, or a byte count of 0xf8
// and above).
const binaryStateMagic = 0xb3

// stateWriter is a Writer and the strings it wrote.
type stateWriter struct {
	binwrite.Writer
	strings binwrite.Strings
}

func (w *stateWriter) str(s string) { w.Interned(&w.strings, s) }

func (w *stateWriter) strs(values []string) {
	w.Uvarint(uint64(len(values)))
	for _, v := range values {
		w.str(v)
	}
}

// encodeState encodes a save.
func encodeState(st *savedState) ([]byte, error) {
	w := &stateWriter{}
	w.Byte(binaryStateMagic)
	w.Uvarint(uint64(st.Version))
	w.Varint(st.Epoch)
	w.Bool(st.Delta)
	w.Varint(st.Prev)
	w.Time(st.Start)
	w.Time(st.Newest)
	w.series(st.Series)
	w.series(st.Removed)
	w.Uvarint(uint64(len(st.Sites)))
	for _, site := range st.Sites {
		w.site(site)
	}
	w.Bytes(st.Revenue)
	w.Uvarint(uint64(len(st.Recent)))
	for _, fp := range st.Recent {
		w.Fixed64(fp)
	}
	return w.Buf, nil
}

func (w *stateWriter) series(series []savedSeries) {
	w.Uvarint(uint64(len(series)))
	for _, s := range series {
		w.str(s.Metric)
		w.str(s.Site)
		w.strs(s.Values)
		w.FloatCompact(s.Value)
		w.Uvarint(s.Count)
		w.Uvarint(uint64(len(s.Buckets)))
		for _, b := range s.Buckets {
			w.Uvarint(b)
		}
	}
}

func (w *stateWriter) site(site savedSite) {
	w.str(site.ID)
	w.str(site.Zone)
	w.Bytes(site.Uniques)
	w.Uvarint(uint64(len(site.Breakdowns)))
	for _, b := range site.Breakdowns {
		w.str(b.Metric)
		w.str(b.Scope)
		w.Uvarint(uint64(len(b.Entries)))
		for _, e := range b.Entries {
			w.str(e.Key)
			w.Uvarint(e.Count)
			w.Uvarint(e.Error)
		}
		w.strs(b.Reported)
	}
	w.Time(site.Newest)
	w.Time(site.NewestAt)
}

// decodeState reads a saved state, of any version this build reads.
func decodeState(data []byte) (savedState, error) {
	var st savedState
	var err error
	if len(data) > 0 && data[0] == binaryStateMagic {
		st, err = readState(binread.New(data[1:]))
	} else {
		err = gob.NewDecoder(bytes.NewReader(data)).Decode(&st)
	}
	if err != nil {
		return st, fmt.Errorf("decode web analytics state: %w", err)
	}
	if st.Version != stateVersion && st.Version != 2 && (st.Version != 1 || st.Delta) {
		return st, fmt.Errorf("web analytics state has version %d; this build reads versions 1 to %d", st.Version, stateVersion)
	}
	return st, nil
}

// stateReader is a Reader and the strings it read.
type stateReader struct {
	*binread.Reader
	strings binread.Strings
}

func (r *stateReader) str() string { return r.Interned(&r.strings) }

func (r *stateReader) strs() []string {
	var values []string
	for range r.Count() {
		values = append(values, r.str())
	}
	return values
}

func readState(br *binread.Reader) (savedState, error) {
	r := &stateReader{Reader: br}
	st := savedState{Version: int(r.Uvarint())}
	if r.Err() == nil && st.Version != stateVersion {
		return st, fmt.Errorf("web analytics state has version %d; this build reads versions 1 to %d (those before %d as gob streams)", st.Version, stateVersion, stateVersion)
	}
	st.Epoch = r.Varint()
	st.Delta = r.Bool()
	st.Prev = r.Varint()
	st.Start = r.Time()
	st.Newest = r.Time()
	st.Series = r.series()
	st.Removed = r.series()
	for range r.Count() {
		st.Sites = append(st.Sites, r.site())
	}
	st.Revenue = bytes.Clone(r.Bytes())
	for range r.Count() {
		st.Recent = append(st.Recent, r.Fixed64())
	}
	if r.Err() != nil {
		return st, r.Err()
	}
	if r.Len() != 0 {
		return st, errors.New("bytes after the end")
	}
	return st, nil
}

func (r *stateReader) series() []savedSeries {
	var series []savedSeries
	for range r.Count() {
		s := savedSeries{Metric: r.str(), Site: r.str(), Values: r.strs(), Value: r.FloatCompact(), Count: r.Uvarint()}
		for range r.Count() {
			s.Buckets = append(s.Buckets, r.Uvarint())
		}
		series = append(series, s)
	}
	return series
}

func (r *stateReader) site() savedSite {
	site := savedSite{ID: r.str(), Zone: r.str(), Uniques: bytes.Clone(r.Bytes())}
	for range r.Count() {
		b := savedBreakdown{Metric: r.str(), Scope: r.str()}
		for range r.Count() {
			b.Entries = append(b.Entries, topk.Entry{Key: r.str(), Count: r.Uvarint(), Error: r.Uvarint()})
		}
		b.Reported = r.strs()
		site.Breakdowns = append(site.Breakdowns, b)
	}
	site.Newest = r.Time()
	site.NewestAt = r.Time()
	return site
}
