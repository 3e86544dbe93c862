// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package visitor derives the cookieless visitor id: a keyed hash of the site,
// the client address and the user agent under a salt that changes every UTC
// day, so that an id cannot be followed from one day to the next nor turned
// back into an address.
package visitor // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/visitor"

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/netip"
	"sync"
	"time"

	"go.uber.org/zap"
)

const dayLayout = "2006-01-02"

// Hasher is safe for concurrent use.
type Hasher struct {
	now    func() time.Time
	store  SaltStore
	secret []byte
	logger *zap.Logger
	// clientKey keys the hash of client-chosen anonymous ids. It never
	// changes: a client id is meant to be stable across days.
	clientKey []byte
	// clientMACs are HMACs under clientKey with a buffer each, reused: a
	// request of many visitors hashes one anonymous id per event.
	clientMACs sync.Pool

	mu      sync.Mutex
	current Salt
}

// clientKeyDay marks the stored client-id key, which belongs to no day.
const clientKeyDay = "client-id-key"

// NewHasher loads today's salt from store or makes one, and the client-id
// key from clientKeys (making and saving one the first time). With a
// non-empty secret both are derived from it instead, so that every gateway
// sharing the secret computes the same ids without sharing state; the
// stores are then not used.
func NewHasher(ctx context.Context, store, clientKeys SaltStore, secret []byte, now func() time.Time, logger *zap.Logger) (*Hasher, error) {
	h := &Hasher{now: now, store: store, secret: secret, logger: logger}
	if len(secret) > 0 {
		mac := hmac.New(sha256.New, secret)
		_, _ = mac.Write([]byte(clientKeyDay))
		h.clientKey = mac.Sum(nil)
		return h, nil
	}
	salt, ok, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		h.current = salt
	}
	if h.clientKey, err = loadClientKey(ctx, clientKeys); err != nil {
		return nil, err
	}
	return h, nil
}

func loadClientKey(ctx context.Context, clientKeys SaltStore) ([]byte, error) {
	stored, ok, err := clientKeys.Load(ctx)
	if err != nil {
		return nil, err
	}
	if ok && stored.Day == clientKeyDay {
		return stored.Key, nil
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms
	if err := clientKeys.Save(ctx, Salt{Day: clientKeyDay, Key: key}); err != nil {
		return nil, fmt.Errorf("saving the client visitor id key: %w", err)
	}
	return key, nil
}

// ID returns the visitor id of (site, client address, user agent) today.
func (h *Hasher) ID(ctx context.Context, site string, addr netip.Addr, userAgent string) string {
	key := h.keyFor(ctx, h.now().UTC().Format(dayLayout))
	mac := hmac.New(sha256.New, key)
	_, _ = mac.Write([]byte(site))
	_, _ = mac.Write([]byte{0})
	ip := addr.As16()
	_, _ = mac.Write(ip[:])
	_, _ = mac.Write([]byte(userAgent))
	return hex.EncodeToString(mac.Sum(nil)[:8])
}

// ClientID maps an anonymous id chosen by the client into the same id space,
// so that downstream stages treat both kinds alike. It is stable across days:
// that is the point of letting the client choose. It is keyed: a site that
// sends an e-mail address or a user id as its anonymous id cannot have it
// recovered from the stored id by hashing guesses.
func (h *Hasher) ClientID(site, clientID string) string {
	m, _ := h.clientMACs.Get().(*clientMAC)
	if m == nil {
		m = &clientMAC{mac: hmac.New(sha256.New, h.clientKey)}
	}
	defer h.clientMACs.Put(m)
	m.mac.Reset()
	m.buf = append(append(append(m.buf[:0], site...), 0), clientID...)
	_, _ = m.mac.Write(m.buf)
	if cap(m.buf) > maxClientMACBuffer {
		m.buf = nil
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.mac.Sum(sum[:0])[:8])
}

// clientMAC is a reusable HMAC under the client-id key and its input
// buffer.
type clientMAC struct {
	mac hash.Hash
	buf []byte
}

// maxClientMACBuffer bounds the input buffer a pooled HMAC keeps.
const maxClientMACBuffer = 1024

func (h *Hasher) keyFor(ctx context.Context, day string) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.current.Day == day {
		return h.current.Key
	}
	if len(h.secret) > 0 {
		mac := hmac.New(sha256.New, h.secret)
		_, _ = mac.Write([]byte(day))
		h.current = Salt{Day: day, Key: mac.Sum(nil)}
		return h.current.Key
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms
	h.current = Salt{Day: day, Key: key}
	// A lost save costs only continuity across a restart today; ids stay valid.
	if err := h.store.Save(ctx, h.current); err != nil {
		h.logger.Warn("Visitor salt not saved; a restart today will change visitor ids", zap.Error(err))
	}
	return key
}
