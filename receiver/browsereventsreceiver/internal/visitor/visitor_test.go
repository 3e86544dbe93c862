// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package visitor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

var (
	ip = netip.MustParseAddr("198.51.100.7")
	ua = "Mozilla/5.0 Firefox/133.0"
)

func TestIDIsStableWithinADayAndRotatesAtMidnightUTC(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 27, 0, 0, 1, 0, time.UTC)}
	h, err := NewHasher(context.Background(), &MemoryStore{}, &MemoryStore{}, nil, clock.Now, zap.NewNop())
	require.NoError(t, err)

	morning := h.ID(context.Background(), "site-a", ip, ua)
	assert.Len(t, morning, 16)
	clock.t = time.Date(2026, 11, 27, 23, 59, 59, 0, time.UTC)
	assert.Equal(t, morning, h.ID(context.Background(), "site-a", ip, ua))

	assert.NotEqual(t, morning, h.ID(context.Background(), "site-b", ip, ua), "sites do not share ids")
	assert.NotEqual(t, morning, h.ID(context.Background(), "site-a", netip.MustParseAddr("198.51.100.8"), ua))
	assert.NotEqual(t, morning, h.ID(context.Background(), "site-a", ip, ua+" "))

	clock.t = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	assert.NotEqual(t, morning, h.ID(context.Background(), "site-a", ip, ua), "new day, new salt")
}

func TestSaltSurvivesRestartThroughFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "salt.json")
	clock := &fakeClock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	first, err := NewHasher(context.Background(), FileStore{Path: path}, FileStore{Path: path + ".client"}, nil, clock.Now, zap.NewNop())
	require.NoError(t, err)
	before := first.ID(context.Background(), "s", ip, ua)

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "salt readable by its owner only")

	second, err := NewHasher(context.Background(), FileStore{Path: path}, FileStore{Path: path + ".client"}, nil, clock.Now, zap.NewNop())
	require.NoError(t, err)
	assert.Equal(t, before, second.ID(context.Background(), "s", ip, ua))

	clock.t = clock.t.Add(24 * time.Hour)
	third, err := NewHasher(context.Background(), FileStore{Path: path}, FileStore{Path: path + ".client"}, nil, clock.Now, zap.NewNop())
	require.NoError(t, err)
	assert.NotEqual(t, before, third.ID(context.Background(), "s", ip, ua), "yesterday's stored salt is not reused")
}

func TestCorruptSaltFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "salt.json")
	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	_, err := NewHasher(context.Background(), FileStore{Path: path}, FileStore{Path: path + ".client"}, nil, time.Now, zap.NewNop())
	require.ErrorContains(t, err, "visitor salt is corrupt")
}

func TestSharedSecretGivesSameIDsOnEveryGateway(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	secret := []byte("0123456789abcdef0123456789abcdef")
	a, err := NewHasher(context.Background(), &MemoryStore{}, &MemoryStore{}, secret, clock.Now, zap.NewNop())
	require.NoError(t, err)
	b, err := NewHasher(context.Background(), &MemoryStore{}, &MemoryStore{}, secret, clock.Now, zap.NewNop())
	require.NoError(t, err)
	today := a.ID(context.Background(), "s", ip, ua)
	assert.Equal(t, today, b.ID(context.Background(), "s", ip, ua))
	clock.t = clock.t.Add(24 * time.Hour)
	assert.NotEqual(t, today, a.ID(context.Background(), "s", ip, ua))
}

// Client ids are keyed: the same anonymous id gives the same visitor id
// across days and restarts (the key is stored), another site or another key
// another id, and the plain SHA-256 of site and id (which anyone could
// compute from a guessed e-mail address) is never the result.
func TestClientID(t *testing.T) {
	dir := t.TempDir()
	keys := FileStore{Path: filepath.Join(dir, "client-key.json")}
	clock := &fakeClock{t: time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)}
	h, err := NewHasher(context.Background(), &MemoryStore{}, keys, nil, clock.Now, zap.NewNop())
	require.NoError(t, err)
	id := h.ClientID("s", "ann@example.com")
	assert.Len(t, id, 16)
	assert.NotEqual(t, id, h.ClientID("t", "ann@example.com"))
	unkeyed := sha256.Sum256([]byte("s\x00ann@example.com"))
	assert.NotEqual(t, hex.EncodeToString(unkeyed[:8]), id)

	clock.t = clock.t.Add(48 * time.Hour)
	restarted, err := NewHasher(context.Background(), &MemoryStore{}, keys, nil, clock.Now, zap.NewNop())
	require.NoError(t, err)
	assert.Equal(t, id, restarted.ClientID("s", "ann@example.com"), "stable across days and restarts")

	other, err := NewHasher(context.Background(), &MemoryStore{}, FileStore{Path: filepath.Join(dir, "other.json")}, nil, clock.Now, zap.NewNop())
	require.NoError(t, err)
	assert.NotEqual(t, id, other.ClientID("s", "ann@example.com"), "another key, another id")

	secret := []byte("0123456789abcdef0123456789abcdef")
	g1, err := NewHasher(context.Background(), &MemoryStore{}, &MemoryStore{}, secret, clock.Now, zap.NewNop())
	require.NoError(t, err)
	g2, err := NewHasher(context.Background(), &MemoryStore{}, &MemoryStore{}, secret, clock.Now, zap.NewNop())
	require.NoError(t, err)
	assert.Equal(t, g1.ClientID("s", "x"), g2.ClientID("s", "x"), "gateways sharing the secret agree")
}

// A client id is HMAC-SHA-256 under the client key of site, a zero byte and
// the id, its first 8 bytes in hex, whatever was hashed before on the same
// reused HMAC and from many goroutines at once.
func TestClientIDIsTheKeyedHash(t *testing.T) {
	h, err := NewHasher(context.Background(), &MemoryStore{}, &MemoryStore{}, []byte("0123456789abcdef0123456789abcdef"), time.Now, zap.NewNop())
	require.NoError(t, err)
	want := func(site, id string) string {
		mac := hmac.New(sha256.New, h.clientKey)
		_, _ = mac.Write([]byte(site + "\x00" + id))
		return hex.EncodeToString(mac.Sum(nil)[:8])
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				site, id := fmt.Sprint("site-", g), strings.Repeat("a", i*7)
				assert.Equal(t, want(site, id), h.ClientID(site, id))
			}
		})
	}
	wg.Wait()
}
