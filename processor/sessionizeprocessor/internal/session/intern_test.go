// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInternerSharesValuesWithinItsBudget(t *testing.T) {
	in := newInterner()
	assert.Same(t, in.str("/pricing"), in.str("/pricing"))
	assert.Same(t, in.attribution(google), in.attribution(google))
	assert.Same(t, in.origin(origin{"DE", "mobile"}), in.origin(origin{"DE", "mobile"}))
	assert.Nil(t, in.str(""), "empty values take no memory")
}

// Whatever clients send, the interner holds at most its budget: values
// nobody asked for during a whole generation are forgotten (and counted),
// values in use stay shared.
func TestInternerForgetsIdleValuesWithinItsBudget(t *testing.T) {
	in := newInterner()
	in.budget = 64 << 10
	hot := in.str("/pricing")
	long := strings.Repeat("x", 2000)
	for i := range 5000 {
		in.str(fmt.Sprintf("/p/%d/%s", i, long)) // 10 MB of unique paths
		if i%5 == 0 {                            // more often than a generation (about 15 such paths) turns over
			assert.Same(t, hot, in.str("/pricing"), "a value in use stays shared")
		}
	}
	held := 0
	for _, g := range []*generation{in.current, in.previous} {
		for s := range g.strs {
			held += len(s) + internEntryOverhead
		}
	}
	assert.LessOrEqual(t, held, in.budget+2100, "bytes held")
	assert.Positive(t, in.evicted)
	assert.Equal(t, "/p/4999/"+long, *in.str("/p/4999/" + long))
}

// Sessions must not keep the caller's strings: they may point into a request
// buffer that is reused, and would pin it.
func TestSessionsCopyWhatTheyKeep(t *testing.T) {
	buf := []byte("/landing|Google|DE|mobile|0123456789abcdef|shop")
	str := func(from, to int) string { return unsafe.String(&buf[from], to-from) }
	tr := newTestTracker(10, 10)
	in := Input{
		Key:     Key{Site: str(43, 47), Visitor: str(26, 42)},
		EventID: "e1",
		Event: Event{
			Time: t0, PageView: true, Path: str(0, 8), Country: str(16, 18), Device: str(19, 25),
			Attribution: Attribution{ReferrerClass: "search", ReferrerSource: str(9, 15)},
		},
	}
	require.Equal(t, "0123456789abcdef", in.Key.Visitor)
	feed(t, tr, in)
	tr.Advance(t0.Add(time.Second)) // placed: from now on the session holds it
	require.Equal(t, 1, tr.Live())
	for i := range buf {
		buf[i] = 'x'
	}
	out := tr.Flush(EndShutdown)
	var end *Ending
	for _, o := range out {
		if o.Ending != nil {
			end = o.Ending
		}
	}
	require.NotNil(t, end)
	assert.Equal(t, Key{Site: "shop", Visitor: "0123456789abcdef"}, end.Key)
	assert.Equal(t, "/landing", end.Session.EntryPage)
	assert.Equal(t, "Google", end.Session.Attribution.ReferrerSource)
	assert.Equal(t, "DE", end.Session.Country)
	assert.Equal(t, "mobile", end.Session.Device)
}

func TestVisitorIDsRoundTrip(t *testing.T) {
	for _, visitor := range []string{"0123456789abcdef", "ffffffffffffffff", "0000000000000000", "0123456789ABCDEF", "short", "an anonymous id of any length"} {
		tr := newTestTracker(10, 10)
		feed(t, tr, Input{Key: Key{Site: "shop", Visitor: visitor}, EventID: "e", Event: pageView(t0, "/", Attribution{})})
		tr.Advance(t0.Add(time.Second))
		require.Equal(t, 1, tr.Live())
		restored := newTestTracker(10, 10)
		require.NoError(t, restored.Restore(tr.Checkpoint()))
		for _, trk := range []*Tracker{tr, restored} {
			out := trk.Advance(t0.Add(time.Hour))
			var keys []Key
			for _, o := range out {
				if o.Ending != nil {
					keys = append(keys, o.Ending.Key)
				}
			}
			assert.Equal(t, []Key{{Site: "shop", Visitor: visitor}}, keys)
		}
	}
}
