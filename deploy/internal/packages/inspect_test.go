package packages

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// A package's file as the package lists it.
type file struct {
	path   string
	mode   int64 // permission bits, plus the directory bit for a directory
	owner  string
	group  string
	mtime  time.Time
	config bool // marked as a config file the package manager keeps
}

type inspected struct {
	files    map[string]file
	scripts  map[string]string // preinstall, postinstall, preremove
	metadata map[string]string // name, version, arch, depends
}

// readDeb reads a deb: an ar archive of debian-binary, control.tar.gz and
// data.tar.gz.
func readDeb(raw []byte) (inspected, error) {
	out := inspected{files: map[string]file{}, scripts: map[string]string{}, metadata: map[string]string{}}
	if !bytes.HasPrefix(raw, []byte("!<arch>\n")) {
		return out, errors.New("not an ar archive")
	}
	members := map[string][]byte{}
	for rest := raw[8:]; len(rest) >= 60; {
		name := strings.TrimRight(strings.TrimSpace(string(rest[:16])), "/")
		size, err := strconv.Atoi(strings.TrimSpace(string(rest[48:58])))
		if err != nil || 60+size > len(rest) {
			return out, fmt.Errorf("ar member %q: bad size", name)
		}
		members[name] = rest[60 : 60+size]
		rest = rest[60+size+size%2:]
	}
	conffiles := map[string]bool{}
	err := eachTarGz(members["control.tar.gz"], func(h *tar.Header, body []byte) {
		switch strings.TrimPrefix(h.Name, "./") {
		case "control":
			for _, line := range strings.Split(string(body), "\n") {
				if k, v, ok := strings.Cut(line, ": "); ok {
					out.metadata[strings.ToLower(k)] = v
				}
			}
		case "conffiles":
			for _, c := range strings.Fields(string(body)) {
				conffiles[c] = true
			}
		case "preinst":
			out.scripts["preinstall"] = string(body)
		case "postinst":
			out.scripts["postinstall"] = string(body)
		case "prerm":
			out.scripts["preremove"] = string(body)
		}
	})
	if err != nil {
		return out, fmt.Errorf("control.tar.gz: %w", err)
	}
	out.metadata["name"] = out.metadata["package"]
	err = eachTarGz(members["data.tar.gz"], func(h *tar.Header, _ []byte) {
		p := "/" + strings.Trim(strings.TrimPrefix(h.Name, "./"), "/")
		mode := h.Mode & 0o7777
		if h.Typeflag == tar.TypeDir {
			mode |= 0o40000
		}
		out.files[p] = file{path: p, mode: mode, owner: h.Uname, group: h.Gname, mtime: h.ModTime.UTC(), config: conffiles[p]}
	})
	if err != nil {
		return out, fmt.Errorf("data.tar.gz: %w", err)
	}
	return out, nil
}

func eachTarGz(raw []byte, fn func(*tar.Header, []byte)) error {
	if raw == nil {
		return errors.New("missing")
	}
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		fn(h, body)
	}
}

// RPM header tags (rpm's lib/rpmtag.h).
const (
	tagName          = 1000
	tagVersion       = 1001
	tagArch          = 1022
	tagPrein         = 1023
	tagPostin        = 1024
	tagPreun         = 1025
	tagFileModes     = 1030
	tagFileMtimes    = 1034
	tagFileFlags     = 1037
	tagFileUserName  = 1039
	tagFileGroupName = 1040
	tagRequireName   = 1049
	tagDirIndexes    = 1116
	tagBaseNames     = 1117
	tagDirNames      = 1118

	fileFlagConfig = 1 << 0
)

// readRPM reads an rpm's lead, signature header and main header; the
// payload is not needed, the header lists every file.
func readRPM(raw []byte) (inspected, error) {
	out := inspected{files: map[string]file{}, scripts: map[string]string{}, metadata: map[string]string{}}
	if len(raw) < 96 || !bytes.Equal(raw[:4], []byte{0xed, 0xab, 0xee, 0xdb}) {
		return out, errors.New("not an rpm")
	}
	_, n, err := rpmHeader(raw[96:])
	if err != nil {
		return out, fmt.Errorf("signature header: %w", err)
	}
	sigEnd := 96 + n
	if sigEnd%8 != 0 {
		sigEnd += 8 - sigEnd%8
	}
	h, _, err := rpmHeader(raw[sigEnd:])
	if err != nil {
		return out, fmt.Errorf("header: %w", err)
	}
	out.metadata["name"], out.metadata["version"], out.metadata["architecture"] = h.str(tagName), h.str(tagVersion), h.str(tagArch)
	out.metadata["depends"] = strings.Join(h.strs(tagRequireName), ", ")
	out.scripts["preinstall"], out.scripts["postinstall"], out.scripts["preremove"] = h.str(tagPrein), h.str(tagPostin), h.str(tagPreun)
	dirs, bases, idx := h.strs(tagDirNames), h.strs(tagBaseNames), h.ints(tagDirIndexes)
	modes, flags, mtimes := h.ints(tagFileModes), h.ints(tagFileFlags), h.ints(tagFileMtimes)
	users, groups := h.strs(tagFileUserName), h.strs(tagFileGroupName)
	for i, base := range bases {
		if i >= len(idx) || i >= len(modes) || i >= len(flags) || i >= len(mtimes) || i >= len(users) || i >= len(groups) || int(idx[i]) >= len(dirs) {
			return out, errors.New("file lists of different lengths")
		}
		p := strings.TrimSuffix(dirs[idx[i]]+base, "/")
		mode := modes[i] & 0o7777
		if modes[i]&0o170000 == 0o40000 {
			mode |= 0o40000
		}
		out.files[p] = file{path: p, mode: mode, owner: users[i], group: groups[i], mtime: time.Unix(mtimes[i], 0).UTC(), config: flags[i]&fileFlagConfig != 0}
	}
	return out, nil
}

type header struct {
	entries map[uint32][4]uint32 // tag -> type, offset, count, unused
	store   []byte
}

func rpmHeader(raw []byte) (header, int, error) {
	if len(raw) < 16 || !bytes.Equal(raw[:3], []byte{0x8e, 0xad, 0xe8}) {
		return header{}, 0, errors.New("no header magic")
	}
	count, size := binary.BigEndian.Uint32(raw[8:]), binary.BigEndian.Uint32(raw[12:])
	end := 16 + int(count)*16 + int(size)
	if count > 1<<16 || end > len(raw) {
		return header{}, 0, errors.New("header past the end")
	}
	h := header{entries: map[uint32][4]uint32{}, store: raw[16+int(count)*16 : end]}
	for i := 0; i < int(count); i++ {
		e := raw[16+i*16:]
		h.entries[binary.BigEndian.Uint32(e)] = [4]uint32{binary.BigEndian.Uint32(e[4:]), binary.BigEndian.Uint32(e[8:]), binary.BigEndian.Uint32(e[12:])}
	}
	return h, end, nil
}

func (h header) strs(tag uint32) []string {
	e, ok := h.entries[tag]
	if !ok || int(e[1]) > len(h.store) {
		return nil
	}
	var out []string
	rest := h.store[e[1]:]
	for i := uint32(0); i < e[2]; i++ {
		s, after, ok := bytes.Cut(rest, []byte{0})
		if !ok {
			break
		}
		out = append(out, string(s))
		rest = after
	}
	return out
}

func (h header) str(tag uint32) string {
	if s := h.strs(tag); len(s) > 0 {
		return s[0]
	}
	return ""
}

// ints reads INT16 (type 3) and INT32 (type 4) arrays.
func (h header) ints(tag uint32) []int64 {
	e, ok := h.entries[tag]
	if !ok {
		return nil
	}
	width := map[uint32]int{3: 2, 4: 4}[e[0]]
	if width == 0 || int(e[1])+int(e[2])*width > len(h.store) {
		return nil
	}
	out := make([]int64, e[2])
	for i := range out {
		b := h.store[int(e[1])+i*width:]
		if width == 2 {
			out[i] = int64(binary.BigEndian.Uint16(b))
		} else {
			out[i] = int64(binary.BigEndian.Uint32(b))
		}
	}
	return out
}
