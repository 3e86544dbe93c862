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
// and its elements; times as Unix nanoseconds). Versions 1 and 2 were gob
// streams, which are still read: a gob stream carries its types'
// descriptions, about 700 bytes, with every save, a quarter of a typical
// delta's bytes in a kafkastream partition's changelog.
//
// binaryStateMagic begins every save of version 3 on; no gob stream begins
// with it (its first byte is a length: below 0x80, or a byte count of 0xf8
// and above).
const binaryStateMagic = 0xb3

// encodeState encodes a save.
func encodeState(st *savedState) ([]byte, error) {
	w := &binwrite.Writer{}
	w.Byte(binaryStateMagic)
	w.Uvarint(uint64(st.Version))
	w.Varint(st.Epoch)
	w.Bool(st.Delta)
	w.Varint(st.Prev)
	w.Time(st.Start)
	w.Time(st.Newest)
	writeSeries(w, st.Series)
	writeSeries(w, st.Removed)
	w.Uvarint(uint64(len(st.Sites)))
	for _, site := range st.Sites {
		writeSite(w, site)
	}
	w.Bytes(st.Revenue)
	w.Uvarint(uint64(len(st.Recent)))
	for _, fp := range st.Recent {
		w.Fixed64(fp)
	}
	return w.Buf, nil
}

func writeSeries(w *binwrite.Writer, series []savedSeries) {
	w.Uvarint(uint64(len(series)))
	for _, s := range series {
		w.Str(s.Metric)
		w.Str(s.Site)
		writeStrings(w, s.Values)
		w.Float64(s.Value)
		w.Uvarint(s.Count)
		w.Uvarint(uint64(len(s.Buckets)))
		for _, b := range s.Buckets {
			w.Uvarint(b)
		}
	}
}

func writeSite(w *binwrite.Writer, site savedSite) {
	w.Str(site.ID)
	w.Str(site.Zone)
	w.Bytes(site.Uniques)
	w.Uvarint(uint64(len(site.Breakdowns)))
	for _, b := range site.Breakdowns {
		w.Str(b.Metric)
		w.Str(b.Scope)
		w.Uvarint(uint64(len(b.Entries)))
		for _, e := range b.Entries {
			w.Str(e.Key)
			w.Uvarint(e.Count)
			w.Uvarint(e.Error)
		}
		writeStrings(w, b.Reported)
	}
	w.Time(site.Newest)
	w.Time(site.NewestAt)
}

func writeStrings(w *binwrite.Writer, values []string) {
	w.Uvarint(uint64(len(values)))
	for _, v := range values {
		w.Str(v)
	}
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

func readState(r *binread.Reader) (savedState, error) {
	st := savedState{Version: int(r.Uvarint())}
	if r.Err() == nil && st.Version != stateVersion {
		return st, fmt.Errorf("web analytics state has version %d; this build reads versions 1 to %d (those before %d as gob streams)", st.Version, stateVersion, stateVersion)
	}
	st.Epoch = r.Varint()
	st.Delta = r.Bool()
	st.Prev = r.Varint()
	st.Start = r.Time()
	st.Newest = r.Time()
	st.Series = readSeries(r)
	st.Removed = readSeries(r)
	for range r.Count() {
		st.Sites = append(st.Sites, readSite(r))
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

func readSeries(r *binread.Reader) []savedSeries {
	var series []savedSeries
	for range r.Count() {
		s := savedSeries{Metric: r.Str(), Site: r.Str(), Values: readStrings(r), Value: r.Float64(), Count: r.Uvarint()}
		for range r.Count() {
			s.Buckets = append(s.Buckets, r.Uvarint())
		}
		series = append(series, s)
	}
	return series
}

func readSite(r *binread.Reader) savedSite {
	site := savedSite{ID: r.Str(), Zone: r.Str(), Uniques: bytes.Clone(r.Bytes())}
	for range r.Count() {
		b := savedBreakdown{Metric: r.Str(), Scope: r.Str()}
		for range r.Count() {
			b.Entries = append(b.Entries, topk.Entry{Key: r.Str(), Count: r.Uvarint(), Error: r.Uvarint()})
		}
		b.Reported = readStrings(r)
		site.Breakdowns = append(site.Breakdowns, b)
	}
	site.Newest = r.Time()
	site.NewestAt = r.Time()
	return site
}

func readStrings(r *binread.Reader) []string {
	var values []string
	for range r.Count() {
		values = append(values, r.Str())
	}
	return values
}
