// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package visitor // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/visitor"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/footfall-analytics/footfall/internal/durablefile"
)

// Salt is the secret of one UTC day.
type Salt struct {
	Day string `json:"day"` // YYYY-MM-DD, UTC
	Key []byte `json:"key"`
}

// SaltStore keeps the current salt through restarts. Only the current salt is
// ever stored: once a day is over its salt is gone, and with it any way to
// link that day's visitor ids to addresses.
type SaltStore interface {
	Load(ctx context.Context) (Salt, bool, error)
	Save(ctx context.Context, salt Salt) error
}

// FileStore keeps the salt in a file readable by its owner only.
type FileStore struct{ Path string }

// Load reads the salt file; a missing file is no salt, not an error.
func (f FileStore) Load(context.Context) (Salt, bool, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return Salt{}, false, nil
	}
	if err != nil {
		return Salt{}, false, fmt.Errorf("reading visitor salt: %w", err)
	}
	return decodeSalt(data)
}

// Save replaces the file whole (internal/durablefile), so a crash never
// leaves half a salt.
func (f FileStore) Save(_ context.Context, salt Salt) error {
	data, err := json.Marshal(salt)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return fmt.Errorf("writing visitor salt: %w", err)
	}
	_, err = durablefile.Write(filepath.Dir(f.Path), filepath.Base(f.Path), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("writing visitor salt: %w", err)
	}
	return nil
}

// StorageStore keeps the salt in a collector storage extension, under Key
// (default "visitor_salt").
type StorageStore struct {
	Client storage.Client
	Key    string
}

const storageKey = "visitor_salt"

// ClientKeyStorageKey is where the client-id key is kept beside the salt.
const ClientKeyStorageKey = "visitor_client_id_key"

func (s StorageStore) key() string {
	if s.Key == "" {
		return storageKey
	}
	return s.Key
}

// Load reads the salt from the storage extension.
func (s StorageStore) Load(ctx context.Context) (Salt, bool, error) {
	data, err := s.Client.Get(ctx, s.key())
	if err != nil {
		return Salt{}, false, fmt.Errorf("reading visitor salt: %w", err)
	}
	if data == nil {
		return Salt{}, false, nil
	}
	return decodeSalt(data)
}

// Save writes the salt to the storage extension.
func (s StorageStore) Save(ctx context.Context, salt Salt) error {
	data, err := json.Marshal(salt)
	if err != nil {
		return err
	}
	if err := s.Client.Set(ctx, s.key(), data); err != nil {
		return fmt.Errorf("writing visitor salt: %w", err)
	}
	return nil
}

// MemoryStore forgets the salt on restart; for tests and for users who accept that.
type MemoryStore struct {
	salt Salt
	ok   bool
}

// Load returns what was saved in this process.
func (m *MemoryStore) Load(context.Context) (Salt, bool, error) { return m.salt, m.ok, nil }

// Save keeps the salt in memory.
func (m *MemoryStore) Save(_ context.Context, s Salt) error {
	m.salt, m.ok = s, true
	return nil
}

func decodeSalt(data []byte) (Salt, bool, error) {
	var s Salt
	if err := json.Unmarshal(data, &s); err != nil {
		return Salt{}, false, fmt.Errorf("visitor salt is corrupt: %w", err)
	}
	if s.Day == "" || len(s.Key) < 16 {
		return Salt{}, false, errors.New("visitor salt is corrupt: missing day or key")
	}
	return s, true, nil
}
