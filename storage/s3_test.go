package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/storage"
	"skillcert/storage/s3test"
)

func TestS3PutOpenDeleteAgainstInTestServer(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t, "attachments")
	cfg := srv.Config()
	cfg.Prefix = "skillcert"
	st, err := storage.NewS3(ctx, cfg)
	require.NoError(t, err)

	content := bytes.Repeat([]byte("%PDF-1.7 evidence "), 70000) // >1 MiB
	want := sha256.Sum256(content)
	key := storage.NewKey()
	size, sum, err := st.Put(ctx, key, bytes.NewReader(content))
	require.NoError(t, err)
	require.Equal(t, int64(len(content)), size)
	require.Equal(t, hex.EncodeToString(want[:]), sum)

	// The recorded hash matches, and the bytes read back hash the same.
	recorded, err := st.Hash(ctx, key)
	require.NoError(t, err)
	require.Equal(t, sum, recorded)
	rc, err := st.Open(ctx, key)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	gotSum := sha256.Sum256(got)
	require.Equal(t, want, gotSum)

	// Stored evidence is never overwritten.
	_, _, err = st.Put(ctx, key, strings.NewReader("other"))
	require.ErrorIs(t, err, storage.ErrExists)

	// Invalid keys never reach the server.
	_, _, err = st.Put(ctx, "../etc/passwd", strings.NewReader("x"))
	require.ErrorIs(t, err, storage.ErrInvalidKey)
	_, err = st.Open(ctx, "a/b")
	require.ErrorIs(t, err, storage.ErrInvalidKey)

	require.NoError(t, st.Delete(ctx, key))
	_, err = st.Open(ctx, key)
	require.ErrorIs(t, err, storage.ErrNotFound)
	_, err = st.Hash(ctx, key)
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.NoError(t, st.Delete(ctx, key), "deleting a missing key is not an error")

	_, err = st.Open(ctx, storage.NewKey())
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func TestS3CancelledPutLeavesNothing(t *testing.T) {
	srv := s3test.Start(t, "attachments")
	st, err := storage.NewS3(context.Background(), srv.Config())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	key := storage.NewKey()
	r := io.MultiReader(strings.NewReader("partial"), readerFunc(func([]byte) (int, error) {
		cancel()
		return 0, nil
	}), strings.NewReader("rest"))
	_, _, err = st.Put(ctx, key, r)
	require.Error(t, err)
	_, err = st.Open(context.Background(), key)
	require.ErrorIs(t, err, storage.ErrNotFound)
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestS3MissingBucketAndCreate(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t, "attachments")
	cfg := srv.Config()
	cfg.Bucket = "absent"
	_, err := storage.NewS3(ctx, cfg)
	require.ErrorContains(t, err, "does not exist")
	cfg.CreateBucket = true
	st, err := storage.NewS3(ctx, cfg)
	require.NoError(t, err)
	_, _, err = st.Put(ctx, storage.NewKey(), strings.NewReader("x"))
	require.NoError(t, err)
}

func TestS3ConfigNeverPrintsSecret(t *testing.T) {
	cfg := storage.S3Config{Endpoint: "https://oss-cn-hangzhou.aliyuncs.com", Bucket: "b", AccessKey: "AK", SecretKey: "very-secret-value"}
	require.NotContains(t, cfg.String(), "very-secret-value")
	require.NotContains(t, fmtV(cfg), "very-secret-value")
}

func fmtV(c storage.S3Config) string { return strings.TrimSpace(c.String()) }

func TestOpenSelectsBackend(t *testing.T) {
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Config{Dir: t.TempDir()})
	require.NoError(t, err)
	require.IsType(t, &storage.Local{}, st)
	_, err = storage.Open(ctx, storage.Config{Backend: "ftp"})
	require.Error(t, err)
	srv := s3test.Start(t, "other-bucket")
	st, err = storage.Open(ctx, storage.Config{Backend: "s3", S3: srv.Config()})
	require.NoError(t, err)
	require.IsType(t, &storage.S3{}, st)
	srv.Close()
	_, err = st.Open(ctx, storage.NewKey())
	require.Error(t, err)
	require.False(t, errors.Is(err, storage.ErrNotFound), "an outage is not a missing file")
}
