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
// and over. From version 4 on the numbering runs through a chain: a base
// starts it, and each delta goes on with the numbers of the saves before
// it, so that a delta writes whole only the strings its chain has not
// written yet (at version 3 each save numbered its own, and a delta's
// strings were most of its bytes). A chain is read in order, base first,
// with one table (decodeState's strings); its header (version, epoch,
// whether a delta, the save before) comes before any string, so that a
// restore walks the chain back from its end before it decodes it
// (peekState). Values are written as varints when whole (binwrite.FloatCompact):
// they are counts, but for sums of revenue and durations. Versions 1 and 2
// were gob streams, which are still read: a gob stream carries its types'
// descriptions, about 700 bytes, with every save, a quarter of a typical
// delta's bytes in a kafkastream partition's changelog.
//
// binaryStateMagic begins every save of version 3 on; no gob stream begins
// with it (its first byte is a length: below 0x80, or a byte count of 0xf8
// and above).
const binaryStateMagic = 0xb3

// stateWriter is a Writer and the strings its chain wrote.
type stateWriter struct {
	binwrite.Writer
	strings *binwrite.Strings
}

func (w *stateWriter) str(s string) { w.Interned(w.strings, s) }

func (w *stateWriter) strs(values []string) {
	w.Uvarint(uint64(len(values)))
	for _, v := range values {
		w.str(v)
	}
}

// encodeState encodes a save, numbering its strings in strings: a base's
// must be new, a delta's those of the saves before it in its chain.
func encodeState(st *savedState, strings *binwrite.Strings) ([]byte, error) {
	w := &stateWriter{strings: strings}
	w.header(st)
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

// header writes what comes before the strings, as stateReader's header
// reads it.
func (w *stateWriter) header(st *savedState) {
	w.Byte(binaryStateMagic)
	w.Uvarint(uint64(st.Version))
	w.Varint(st.Epoch)
	w.Bool(st.Delta)
	w.Varint(st.Prev)
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

// decodeState reads a saved state, of any version this build reads. strings
// are those its chain's saves before it numbered, nil for a save read
// alone; a base, or a save of version 3, starts them anew (at version 3
// each save numbered its own).
func decodeState(data []byte, strings *binread.Strings) (savedState, error) {
	if strings == nil {
		strings = &binread.Strings{}
	}
	st, err := peekState(data)
	if err != nil || !isBinary(data) {
		return st, err
	}
	if st.Version < chainStringsVersion || !st.Delta {
		*strings = binread.Strings{}
	}
	r := &stateReader{Reader: binread.New(data[1:]), strings: strings}
	r.header()
	if err := r.body(&st); err != nil {
		return st, fmt.Errorf("decode web analytics state: %w", err)
	}
	return st, nil
}

// peekState reads a save's header: its version, epoch, whether it is a
// delta and of which save (the whole state of a gob stream).
func peekState(data []byte) (savedState, error) {
	var st savedState
	var err error
	if isBinary(data) {
		r := &stateReader{Reader: binread.New(data[1:])}
		st = r.header()
		err = r.Err()
	} else {
		err = gob.NewDecoder(bytes.NewReader(data)).Decode(&st)
	}
	if err != nil {
		return st, fmt.Errorf("decode web analytics state: %w", err)
	}
	if !knownVersion(st, isBinary(data)) {
		return st, fmt.Errorf("web analytics state has version %d; this build reads versions 1 to %d (those before 3 as gob streams)", st.Version, stateVersion)
	}
	return st, nil
}

// knownVersion reports whether this build reads st's version, encoded in
// binary or as gob.
func knownVersion(st savedState, binary bool) bool {
	if binary {
		return st.Version >= 3 && st.Version <= stateVersion
	}
	return st.Version == 2 || (st.Version == 1 && !st.Delta)
}

func isBinary(data []byte) bool { return len(data) > 0 && data[0] == binaryStateMagic }

// stateReader is a Reader and the strings its chain read.
type stateReader struct {
	*binread.Reader
	strings *binread.Strings
}

func (r *stateReader) str() string { return r.Interned(r.strings) }

func (r *stateReader) strs() []string {
	var values []string
	for range r.Count() {
		values = append(values, r.str())
	}
	return values
}

// header reads what comes before the strings; a version this build does
// not read ends it.
func (r *stateReader) header() savedState {
	st := savedState{Version: int(r.Uvarint())}
	if r.Err() != nil || !knownVersion(st, true) {
		return st
	}
	st.Epoch = r.Varint()
	st.Delta = r.Bool()
	st.Prev = r.Varint()
	return st
}

// body reads the rest, after header.
func (r *stateReader) body(st *savedState) error {
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
		return r.Err()
	}
	if r.Len() != 0 {
		return errors.New("bytes after the end")
	}
	return nil
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
