// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package archiveexporter

import (
	"context"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"

	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/metadatatest"
	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/rows"
)

// startFakeS3 runs an in-process S3 server with one bucket.
func startFakeS3(t *testing.T, bucket string) (*httptest.Server, *minio.Client) {
	t.Helper()
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket(bucket))
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	client, err := minio.New(strings.TrimPrefix(srv.URL, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4("key", "secret", ""), Secure: false, BucketLookup: minio.BucketLookupPath, Region: "us-east-1",
	})
	require.NoError(t, err)
	return srv, client
}

func startS3Exporter(t *testing.T, endpoint string) testExporter {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.S3 = configoptional.Some(S3Config{
		Endpoint: endpoint, Bucket: "archive", Region: "us-east-1", Prefix: "footfall/",
		AccessKeyID: "key", SecretAccessKey: "secret", Insecure: true, PathStyle: true, SpoolDirectory: t.TempDir(),
	})
	return startExporter(t, cfg)
}

// The same stream to S3-compatible storage: the same keys under the
// prefix, and the same rows read back from the objects.
func TestS3Destination(t *testing.T) {
	srv, client := startFakeS3(t, "archive")
	e := startS3Exporter(t, strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, e.pushLogs(context.Background(), stream()))

	var keys []string
	for obj := range client.ListObjects(context.Background(), "archive", minio.ListObjectsOptions{Recursive: true}) {
		require.NoError(t, obj.Err)
		keys = append(keys, obj.Key)
	}
	slices.Sort(keys)
	require.Len(t, keys, 4)
	assert.True(t, strings.HasPrefix(keys[0], "footfall/kind=events/site=blog/date=2026-03-14/hour=09/part-"), keys[0])
	assert.True(t, strings.HasPrefix(keys[3], "footfall/kind=sessions/site=shop/"), keys[3])

	obj, err := client.GetObject(context.Background(), "archive", keys[3], minio.GetObjectOptions{})
	require.NoError(t, err)
	data, err := io.ReadAll(obj)
	require.NoError(t, err)
	require.NoError(t, obj.Close())
	sessions := readBytes[rows.Session](t, data)
	require.Len(t, sessions, 1)
	assert.Equal(t, "s-a", sessions[0].SessionID)
	assert.JSONEq(t, `{"EUR":49.9}`, sessions[0].Revenue)
}

// While the storage is down the push fails (the sending queue keeps the
// batch and retries), and nothing half-written is left in the spool.
func TestS3OutageFailsThePush(t *testing.T) {
	srv, _ := startFakeS3(t, "archive")
	e := startS3Exporter(t, strings.TrimPrefix(srv.URL, "http://"))
	srv.Close()
	require.Error(t, e.pushLogs(context.Background(), stream()))
	spool := e.cfg.S3.Get().SpoolDirectory
	assert.Empty(t, files(t, spool))
	metadatatest.AssertEqualExporterArchiveWriteErrors(t, e.tel, []metricdataPoint{{Value: 1}}, ignoreTime()...)
}
