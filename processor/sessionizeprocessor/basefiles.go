// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A base of a million sessions, with their event ids and visitors, is about
// 160 MB. Stored as values of the storage extension, each part was joined
// from its encoded pieces into one slice and then copied into the B+tree's
// pages: three copies at once, on top of the state (with file_storage, a
// process holding 386 MiB peaked at 1,056 MiB while a base was written). So
// with wal_directory set, a base's parts are files in that directory,
// written while they are encoded (basestream.go) and synced; the key of
// each part holds a reference to its file (baseFileRef) instead of its
// bytes. Deltas, which are small, stay values.
//
// The files are written whole (internal/durablefile) before the
// storage batch that names them; once that batch is written, every other
// base file in the directory is deleted. A crash before the batch leaves
// files no key names, which the next base deletes; a crash after it leaves
// the files it names, and older ones the next base deletes.

// baseFilePrefix starts the name of every base file; the segment files of
// the write-ahead log are numbers, which it never is.
const baseFilePrefix = "checkpoint-"

// baseFileMagic starts a reference. No part's own encoding starts with
// 0xff: each starts with a small version number.
const baseFileMagic = "\xfffootfall-base-file\x01"

// baseFileRef names a base part's file, with its length and CRC-32C.
type baseFileRef struct {
	name string
	size int64
	crc  uint32
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (r baseFileRef) encode() []byte {
	buf := append([]byte(baseFileMagic), r.name...)
	buf = append(buf, 0)
	buf = binary.AppendUvarint(buf, uint64(r.size))
	return binary.LittleEndian.AppendUint32(buf, r.crc)
}

// decodeBaseFileRef reads a reference; ok is false for a value that is
// the part itself.
func decodeBaseFileRef(value []byte) (ref baseFileRef, ok bool, err error) {
	rest, found := bytes.CutPrefix(value, []byte(baseFileMagic))
	if !found {
		return baseFileRef{}, false, nil
	}
	name, rest, found := bytes.Cut(rest, []byte{0})
	size, n := binary.Uvarint(rest)
	if !found || n <= 0 || len(rest[n:]) != 4 || !isBaseFileName(string(name)) {
		return baseFileRef{}, true, errors.New("the reference to a checkpoint base file is malformed")
	}
	return baseFileRef{name: string(name), size: int64(size), crc: binary.LittleEndian.Uint32(rest[n:])}, true, nil
}

// isBaseFileName refuses names that could leave the directory.
func isBaseFileName(name string) bool {
	return strings.HasPrefix(name, baseFilePrefix) && filepath.Base(name) == name && !strings.ContainsAny(name, `/\`)
}

// baseFileName is the file of a base's part: a base's epoch is its own.
func baseFileName(epoch int64, part string) string {
	return fmt.Sprintf("%s%d-%s", baseFilePrefix, epoch, part)
}

// readBasePart returns a stored part: the value itself, or the file it
// names in dir, checked against the reference's length and checksum.
func readBasePart(dir string, value []byte) ([]byte, error) {
	ref, isRef, err := decodeBaseFileRef(value)
	if !isRef || err != nil {
		return value, err
	}
	if dir == "" {
		return nil, fmt.Errorf("the checkpoint's base is in file %s of wal_directory, which is not set", ref.name)
	}
	data, err := os.ReadFile(filepath.Join(dir, ref.name))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read checkpoint base file: %w", err)
	case int64(len(data)) != ref.size:
		return nil, fmt.Errorf("checkpoint base file %s holds %d bytes where %d were written", ref.name, len(data), ref.size)
	case crc32.Checksum(data, castagnoli) != ref.crc:
		return nil, fmt.Errorf("checkpoint base file %s does not match its checksum", ref.name)
	}
	return data, nil
}

// removeFiles deletes the named files of dir.
func removeFiles(dir string, names []string) {
	for _, name := range names {
		_ = os.Remove(filepath.Join(dir, name))
	}
}

// removeBaseFiles deletes the base files in dir that are not kept,
// temporary ones included. A file that cannot be deleted waits for the
// next base.
func removeBaseFiles(dir string, keep []string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, entry := range entries {
		name := entry.Name()
		// A temporary file is the name after a dot (durablefile.TempPrefix).
		isBase := strings.HasPrefix(strings.TrimPrefix(name, "."), baseFilePrefix)
		if isBase && !slices.Contains(keep, name) {
			_ = os.Remove(filepath.Join(dir, name))
		}
	}
}
