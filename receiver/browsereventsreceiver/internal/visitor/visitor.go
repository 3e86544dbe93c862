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

	mu      sync.Mutex
	current Salt
}

// NewHasher loads today's salt from store or makes one. With a non-empty
// secret the day's salt is derived from it instead, so that every gateway
// sharing the secret computes the same ids without sharing state; store is
// then not used.
func NewHasher(ctx context.Context, store SaltStore, secret []byte, now func() time.Time, logger *zap.Logger) (*Hasher, error) {
	h := &Hasher{now: now, store: store, secret: secret, logger: logger}
	if len(secret) > 0 {
		return h, nil
	}
	salt, ok, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		h.current = salt
	}
	return h, nil
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
// that is the point of letting the client choose.
func ClientID(site, clientID string) string {
	sum := sha256.Sum256([]byte(site + "\x00" + clientID))
	return hex.EncodeToString(sum[:8])
}

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
