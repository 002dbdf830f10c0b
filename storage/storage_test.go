package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLocalPutOpenDelete(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "attachments")
	st, err := NewLocal(dir)
	require.NoError(t, err)

	info, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, DirMode, info.Mode().Perm(), "directory mode")

	content := bytes.Repeat([]byte("%PDF-1.7 evidence "), 4096)
	want := sha256.Sum256(content)
	key := NewKey()
	size, sum, err := st.Put(ctx, key, bytes.NewReader(content))
	require.NoError(t, err)
	require.Equal(t, int64(len(content)), size)
	require.Equal(t, hex.EncodeToString(want[:]), sum)

	info, err = os.Stat(filepath.Join(dir, key))
	require.NoError(t, err)
	require.Equal(t, FileMode, info.Mode().Perm(), "file mode")

	rc, err := st.Open(ctx, key)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, content, got)

	// Stored evidence is never overwritten in place.
	_, _, err = st.Put(ctx, key, strings.NewReader("other"))
	require.ErrorIs(t, err, ErrExists)

	require.NoError(t, st.Delete(ctx, key))
	require.NoError(t, st.Delete(ctx, key), "deleting twice is fine")
	_, err = st.Open(ctx, key)
	require.ErrorIs(t, err, ErrNotFound)
	requireNoTempFiles(t, dir)
}

func TestLocalRefusesPathLikeKeys(t *testing.T) {
	ctx := context.Background()
	st, err := NewLocal(t.TempDir())
	require.NoError(t, err)
	for _, key := range []string{
		"", ".", "..", "../x", "a/b", `a\b`, "/etc/passwd", "..%2f", ".hidden", ".tmp-123",
		"a..b", "name with space", "名字", "x\x00y", strings.Repeat("a", maxKeyLen+1),
	} {
		t.Run(key, func(t *testing.T) {
			_, _, err := st.Put(ctx, key, strings.NewReader("x"))
			require.ErrorIs(t, err, ErrInvalidKey, "Put(%q)", key)
			_, err = st.Open(ctx, key)
			require.ErrorIs(t, err, ErrInvalidKey, "Open(%q)", key)
			require.ErrorIs(t, st.Delete(ctx, key), ErrInvalidKey, "Delete(%q)", key)
		})
	}
	for _, key := range []string{NewKey(), "0197a2b4-7c1e-7000-8000-000000000001", "a.b_c-d"} {
		require.True(t, ValidKey(key), "ValidKey(%q)", key)
	}
}

// failingReader fails after some bytes, like a client that drops mid-upload.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

func TestLocalFailedPutLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	st, err := NewLocal(dir)
	require.NoError(t, err)
	key := NewKey()

	_, _, err = st.Put(context.Background(), key, &failingReader{n: 100_000})
	require.Error(t, err)
	_, err = st.Open(context.Background(), key)
	require.ErrorIs(t, err, ErrNotFound)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = st.Put(ctx, key, strings.NewReader("late"))
	require.ErrorIs(t, err, context.Canceled)
	_, err = st.Open(context.Background(), key)
	require.ErrorIs(t, err, ErrNotFound)
	requireNoTempFiles(t, dir)
}

func TestNewKeyIsRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		k := NewKey()
		require.Len(t, k, 32)
		require.False(t, seen[k], "duplicate key %s", k)
		seen[k] = true
	}
}

func requireNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.False(t, strings.HasPrefix(e.Name(), tempPrefix), "temporary file left behind: %s", e.Name())
	}
}
