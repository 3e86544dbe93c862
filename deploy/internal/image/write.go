package image

import (
	"archive/tar"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Repository is the image's name in the annotations that docker load and
// podman load read.
const Repository = "ghcr.io/footfall-analytics/footfall"

// WriteLayout writes idx as an OCI image layout directory, replacing what
// was there, its one entry annotated with the tag that docker load (with
// the containerd image store) and podman load give it.
func WriteLayout(dir string, idx v1.ImageIndex, version string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": version,
		"io.containerd.image.name":          Repository + ":" + version,
	}))
}

// WriteArchive packs a layout directory into one tar (what podman load
// and docker load take as an OCI archive), entries sorted and timed at
// mtime so that it is as reproducible as the layout.
func WriteArchive(dir, out string, mtime time.Time) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tw := tar.NewWriter(f)
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel) + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime})
		}
		data, err := root.ReadFile(rel)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data)), ModTime: mtime}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err := firstErr(walkErr, tw.Close(), f.Close()); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return nil
}

// WriteDockerArchive writes one platform's image in the docker save
// format, which every docker load accepts (the OCI archive needs Docker
// 25 or later).
func WriteDockerArchive(out string, img v1.Image, version string) error {
	tag, err := name.NewTag(Repository + ":" + version)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(out, tag, img)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
