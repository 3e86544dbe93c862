package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// entry is one file or directory of a layer. A nil Content with Dir set is
// a directory.
type entry struct {
	Path    string // absolute, as in the image
	Mode    int64
	Dir     bool
	UID     int
	Content []byte
}

// layer writes entries as one tar, sorted by path, every header's time the
// given one and no user or group names, then gzip: the same entries give
// the same digest on any machine.
func layer(entries []entry, mtime time.Time) (v1.Layer, error) {
	sorted := append([]entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range sorted {
		if err := writeEntry(tw, e, mtime); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

func writeEntry(tw *tar.Writer, e entry, mtime time.Time) error {
	name := path.Clean(e.Path)
	if !path.IsAbs(name) || name == "/" {
		return fmt.Errorf("image path %q is not an absolute file path", e.Path)
	}
	hdr := &tar.Header{
		Name:    name[1:],
		Mode:    e.Mode,
		Uid:     e.UID,
		Gid:     e.UID,
		ModTime: mtime,
		Format:  tar.FormatPAX,
	}
	if e.Dir {
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
	} else {
		hdr.Typeflag = tar.TypeReg
		hdr.Size = int64(len(e.Content))
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if _, err := tw.Write(e.Content); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// parents lists the directories above the entries' paths that are not
// entries themselves, so every file's directory exists with a known mode.
func parents(entries []entry) []entry {
	have := map[string]bool{}
	for _, e := range entries {
		have[path.Clean(e.Path)] = true
	}
	var dirs []entry
	for _, e := range entries {
		for d := path.Dir(path.Clean(e.Path)); d != "/"; d = path.Dir(d) {
			if !have[d] {
				have[d] = true
				dirs = append(dirs, entry{Path: d, Mode: 0o755, Dir: true})
			}
		}
	}
	return dirs
}
