// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
)

var errCorruptForm = errors.New("checkpoint is corrupt: unknown form")

// compactVersion is the first version that encodes a session compactly,
// and a delta's changed sessions as their progress where it can
// (progress.go). Versions before it wrote each session's ids as hex text,
// its times as nine-byte instants, every string whole, and fields no build
// reads any more: about 165 bytes for a session of a few page views. This
// encoding writes the strings many sessions share (encoder's name: site,
// country, device, pages, attribution, goals, currencies, bot verdicts)
// once in each stream of a tracker's part and then as their number. Every
// open session is in every base, and each one that opens is in a delta, so
// this is most of what a checkpoint writes.
//
// A session: its key (encodeKey), a form byte (formRawID, formClientNamed,
// formAlias, formEngaged, formReturning), its id (16 bytes with formRawID,
// else text), the client's alias (formAlias), its start, then its end and
// the time of the event its origin came from as nanoseconds after the
// start, its country and device, its page views and events; with page
// views, its entry page, the entry's time after the start, its exit page,
// the exit's time after the start and its attribution's five fields; then
// its goals, funnel progress, revenue and behaviour (its minute counted from
// the start).
const compactVersion = 6

// spanVersion writes a session's times as binwrite's Nanos: its start as
// its distance from the watermark of its tracker's part, the others from
// its start, as whole milliseconds where they are (browsers' clocks give
// milliseconds), about half the bytes of nanosecond varints. An ended
// session's memory counts its time from the watermark too, and in a
// delta it names the ended session it remembers by its place among the
// delta's ended keys rather than by its key and id again (delta.go).
const spanVersion = 7

// The form byte's bits.
const (
	formRawID = 1 << iota
	formClientNamed
	formAlias
	formEngaged
	formReturning
)

// Visitor forms: a canonical visitor id (16 hex digits) is its 8 bytes; any
// other is its text.
const (
	visitorCanonical = 0
	visitorNamed     = 1
)

// encodeKey encodes a session's (or an ended session's) site and visitor.
func (t *Tracker) encodeKey(e *encoder, k liveKey, version byte) {
	key := t.key(k)
	e.name(key.Site)
	if version < compactVersion {
		e.str(key.Visitor)
		return
	}
	if _, named := t.names[k]; named {
		e.buf = append(e.buf, visitorNamed)
		e.str(key.Visitor)
		return
	}
	e.buf = append(e.buf, visitorCanonical)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, k.visitor)
}

// decodeKey reads what encodeKey wrote, remembering a visitor's name.
func (t *Tracker) decodeKey(d *decoder, version byte) liveKey {
	site := d.name()
	if version < compactVersion {
		return t.keepName(Key{Site: site, Visitor: d.str()})
	}
	switch form := d.Byte(); form {
	case visitorCanonical:
		return liveKey{site: deref(t.intern.str(site)), visitor: d.Fixed64()}
	case visitorNamed:
		return t.keepName(Key{Site: site, Visitor: d.str()})
	default:
		d.Fail(errCorruptForm)
		return liveKey{}
	}
}

// encodeID encodes an ended session's id: 16 bytes when it is 32 hex digits.
func encodeID(e *encoder, id string, version byte) {
	if version < compactVersion {
		e.str(id)
		return
	}
	if raw, ok := rawHexID(id); ok {
		e.bool(true)
		e.buf = append(e.buf, raw...)
		return
	}
	e.bool(false)
	e.str(id)
}

func decodeID(d *decoder, version byte) string {
	if version >= compactVersion && d.bool() {
		return hex.EncodeToString(d.Next(16))
	}
	return d.str()
}

// encodeCompact encodes s at compactVersion or later.
func (t *Tracker) encodeCompact(e *encoder, s *Session, version byte) {
	t.encodeKey(e, s.key, compactVersion)
	alias := ""
	if s.extras != nil && s.flags&flagClientNamed == 0 {
		alias = deref(s.extras.clientAlias)
	}
	e.buf = append(e.buf, s.form(alias != ""))
	if s.flags&flagRawID != 0 {
		e.buf = append(e.buf, s.id...)
	} else {
		e.str(s.id)
	}
	if alias != "" {
		e.str(alias)
	}
	e.instant(s.start, version)
	e.span(s.end-s.start, version)
	e.span(s.firstAt-s.start, version)
	o := deref(s.origin)
	e.name(o.country)
	e.name(o.device)
	e.uint(uint64(s.pageViews))
	e.uint(uint64(s.events))
	if s.pageViews > 0 {
		e.name(deref(s.entry))
		e.span(s.entryAt-s.start, version)
		e.name(deref(s.exit))
		e.span(s.exitAt-s.start, version)
		a := deref(s.attribution)
		for _, f := range []string{a.ReferrerClass, a.ReferrerSource, a.UTMSource, a.UTMMedium, a.UTMCampaign} {
			e.name(f)
		}
	}
	encodeGoals(e, s)
	e.uint(uint64(s.funnels))
	encodeRevenue(e, s)
	encodeBehaviour(e, s, s.start, version)
}

// formFlags are the session flags the form byte carries, by bit.
var formFlags = [...]struct {
	bit  byte
	flag uint16
}{{formRawID, flagRawID}, {formClientNamed, flagClientNamed}, {formEngaged, flagEngaged}, {formReturning, flagReturning}}

// form is s's form byte.
func (s *Session) form(alias bool) byte {
	var form byte
	if alias {
		form = formAlias
	}
	for _, f := range formFlags {
		if s.flags&f.flag != 0 {
			form |= f.bit
		}
	}
	return form
}

// decodeCompact reads what encodeCompact wrote.
func (t *Tracker) decodeCompact(d *decoder, version byte) *Session {
	s := &Session{key: t.decodeKey(d, compactVersion)}
	form := d.Byte()
	if form >= formReturning<<1 {
		d.Fail(errCorruptForm)
		return s
	}
	for _, f := range formFlags {
		if form&f.bit != 0 {
			s.flags |= f.flag
		}
	}
	if form&formRawID != 0 {
		s.id = string(d.Next(16))
	} else {
		s.id = d.str()
	}
	if form&formAlias != 0 {
		s.more().clientAlias = t.intern.str(d.str())
	}
	s.start = d.instant(version)
	s.end = s.start + d.span(version)
	s.firstAt = s.start + d.span(version)
	s.origin = t.intern.origin(origin{country: d.name(), device: d.name()})
	s.pageViews = uint32(d.uint())
	s.events = uint32(d.uint())
	if s.pageViews > 0 {
		s.entry = t.intern.str(d.name())
		s.entryAt = s.start + d.span(version)
		s.exit = t.intern.str(d.name())
		s.exitAt = s.start + d.span(version)
		s.attribution = t.intern.attribution(Attribution{ReferrerClass: d.name(), ReferrerSource: d.name(), UTMSource: d.name(), UTMMedium: d.name(), UTMCampaign: d.name()})
	}
	t.decodeGoals(d, s)
	s.funnels = FunnelProgress(d.uint())
	t.decodeRevenue(d, s)
	decodeBehaviour(d, s, s.start, version)
	return s
}
