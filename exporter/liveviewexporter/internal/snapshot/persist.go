// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package snapshot // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/snapshot"

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

// savedVersion is bumped whenever the saved form changes; another version
// is not loaded (the dashboard then starts empty, as on a first start).
const savedVersion = 1

// saved is the tracker's history as stored, so that a restart keeps the
// windows, the chart and the top lists.
type saved struct {
	Version int
	Sites   []savedSite
}

type savedSite struct {
	ID             string
	Last, Offset   []float64 // the counters' cumulative state
	Current        []float64
	HistoryMinutes []int64
	HistoryValues  [][]float64
	Visitors       map[string]float64
	Live           float64
	HasLive        bool
	Lists          map[string]map[string]float64
	ListMinutes    []int64
	ListEntries    []savedEntry
	DayStart       []savedValue
	HasDayStart    bool
	Day            int64
}

type savedEntry struct {
	List, Name string
	Values     []float64
}

type savedValue struct {
	List, Name string
	Value      float64
}

// MarshalBinary encodes the tracker's history.
func (t *Tracker) MarshalBinary() ([]byte, error) {
	st := saved{Version: savedVersion}
	for id, s := range t.sites {
		st.Sites = append(st.Sites, s.save(id))
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&st); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (s *site) save(id string) savedSite {
	out := savedSite{
		ID: id, Current: s.current[:], Visitors: s.visitors, Live: s.live, HasLive: s.hasLive, Lists: s.lists,
		ListMinutes: s.listHist.minutes[:], HasDayStart: s.listHist.dayStart != nil, Day: s.listHist.day,
	}
	for _, c := range s.counters {
		out.Last, out.Offset = append(out.Last, c.last), append(out.Offset, c.offset)
	}
	for _, h := range s.history {
		out.HistoryMinutes = append(out.HistoryMinutes, h.minute)
		out.HistoryValues = append(out.HistoryValues, h.values[:])
	}
	for key, ring := range s.listHist.values {
		out.ListEntries = append(out.ListEntries, savedEntry{List: key.list, Name: key.name, Values: ring[:]})
	}
	for key, v := range s.listHist.dayStart {
		out.DayStart = append(out.DayStart, savedValue{List: key.list, Name: key.name, Value: v})
	}
	return out
}

// UnmarshalBinary replaces the tracker's history with a saved one. Sites
// past the tracker's bound and parts of the wrong shape are not loaded.
func (t *Tracker) UnmarshalBinary(data []byte) error {
	var st saved
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
		return fmt.Errorf("decode live view history: %w", err)
	}
	if st.Version != savedVersion {
		return fmt.Errorf("live view history has version %d; this build reads version %d", st.Version, savedVersion)
	}
	sites := map[string]*site{}
	for _, saved := range st.Sites {
		if len(sites) >= t.maxSites {
			break
		}
		s, err := restoreSite(saved)
		if err != nil {
			return fmt.Errorf("live view history of site %q: %w", saved.ID, err)
		}
		sites[saved.ID] = s
	}
	t.sites = sites
	return nil
}

func restoreSite(in savedSite) (*site, error) {
	if len(in.Last) != int(numCounters) || len(in.Offset) != int(numCounters) || len(in.Current) != int(numCounters) ||
		len(in.HistoryMinutes) != len(in.HistoryValues) || len(in.ListMinutes) != listMinutes {
		return nil, fmt.Errorf("saved with another layout")
	}
	s := &site{visitors: in.Visitors, live: in.Live, hasLive: in.HasLive, lists: in.Lists, listHist: newListHistory()}
	if s.visitors == nil {
		s.visitors = map[string]float64{}
	}
	if s.lists == nil {
		s.lists = map[string]map[string]float64{}
	}
	for c := range numCounters {
		s.counters[c] = cumulative{last: in.Last[c], offset: in.Offset[c]}
	}
	copy(s.current[:], in.Current)
	for i, minute := range in.HistoryMinutes[max(0, len(in.HistoryMinutes)-historyLength):] {
		values := in.HistoryValues[max(0, len(in.HistoryMinutes)-historyLength)+i]
		if len(values) != int(numCounters) {
			return nil, fmt.Errorf("saved with another layout")
		}
		sample := minuteSample{minute: minute}
		copy(sample.values[:], values)
		s.history = append(s.history, sample)
	}
	h := s.listHist
	copy(h.minutes[:], in.ListMinutes)
	for _, e := range in.ListEntries {
		if len(e.Values) != listMinutes {
			return nil, fmt.Errorf("saved with another layout")
		}
		ring := &[listMinutes]float64{}
		copy(ring[:], e.Values)
		h.values[entryKey{e.List, e.Name}] = ring
	}
	if in.HasDayStart {
		h.dayStart = map[entryKey]float64{}
		for _, v := range in.DayStart {
			h.dayStart[entryKey{v.List, v.Name}] = v.Value
		}
	}
	h.day = in.Day
	return s, nil
}
