// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package store // import "github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/store"

import (
	"context"
	"io"
	"os"

	"github.com/minio/minio-go/v7"
)

// S3 keeps files in a bucket of S3-compatible object storage.
type S3 struct {
	Client *minio.Client
	Bucket string
	// Prefix is prepended to every key ("footfall/" for example).
	Prefix string
	// Spool is the local directory a file is written to before its
	// upload: the upload needs its size, and a retry must not rebuild it.
	Spool string
}

// Put writes the file to the spool, then uploads it in one PutObject (a
// multipart upload for large files): object storage makes an object
// visible only once its upload completes.
func (s S3) Put(ctx context.Context, key string, write func(io.Writer) error) (int64, error) {
	tmp, err := os.CreateTemp(s.Spool, "upload-*.parquet")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := writeSynced(tmp, write)
	if err != nil {
		return 0, err
	}
	f, err := os.Open(tmp.Name())
	if err != nil {
		return 0, err
	}
	defer f.Close()
	_, err = s.Client.PutObject(ctx, s.Bucket, s.Prefix+key, f, n, minio.PutObjectOptions{ContentType: "application/vnd.apache.parquet"})
	if err != nil {
		return 0, err
	}
	return n, nil
}
