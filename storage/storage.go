// Package storage keeps the bytes of uploaded attachments. The database holds what a file is
// (owner, name, type, hash, version); a Store holds only its content under an opaque,
// server-generated key, so nothing a user types ever becomes part of a path.
package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Store holds attachment contents by key. Implementations must be safe for concurrent use.
type Store interface {
	// Put stores everything r yields under key and returns its size and hex SHA-256. The
	// object becomes visible only once complete: a failed or cancelled Put leaves nothing
	// behind. Putting an existing key is refused with ErrExists, so stored evidence cannot be
	// overwritten in place.
	Put(ctx context.Context, key string, r io.Reader) (size int64, sha256 string, err error)
	// Open returns the content stored under key, or ErrNotFound.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the content under key; deleting a missing key is not an error, so a
	// retried clean-up succeeds.
	Delete(ctx context.Context, key string) error
}

// Errors of every Store.
var (
	// ErrNotFound is returned by Open for a key that holds nothing.
	ErrNotFound = errors.New("storage: object not found")
	// ErrExists is returned by Put for a key that is already taken.
	ErrExists = errors.New("storage: object already exists")
	// ErrInvalidKey is returned for a key that is empty, too long, or could name a path.
	ErrInvalidKey = errors.New("storage: invalid key")
)

// maxKeyLen bounds keys well below any file system's name limit.
const maxKeyLen = 128

// NewKey returns a fresh random key (128 bits, hex). Keys carry no meaning: they are never
// derived from file names, owners or content.
func NewKey() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// ValidKey reports whether key is acceptable to every Store: 1 to 128 characters of
// [A-Za-z0-9_-] and dots, not starting with a dot (temporary files do) and never "..".
// Path separators are refused outright rather than cleaned, so a key can only ever name a
// file directly inside the store.
func ValidKey(key string) bool {
	if key == "" || len(key) > maxKeyLen || key[0] == '.' || strings.Contains(key, "..") {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// Permissions of what Local creates: the service account reads and writes, its group (backup
// operators) reads, nobody else gets anything.
const (
	DirMode  fs.FileMode = 0o750
	FileMode fs.FileMode = 0o640
)

// tempPrefix marks files still being written; ValidKey refuses it so they never collide.
const tempPrefix = ".tmp-"

// Local is a Store on a directory of the local file system, one file per key.
type Local struct {
	dir string
}

var _ Store = (*Local)(nil)

// NewLocal returns a Store on dir, creating it (mode 0750) when missing.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("storage: directory is required")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: resolve %s: %w", dir, err)
	}
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(abs, DirMode); err != nil {
			return nil, fmt.Errorf("storage: create directory: %w", err)
		}
		// The process umask may have narrowed or widened the mode; the store's own
		// directory gets exactly DirMode. An existing directory is left as the operator set it.
		if err := os.Chmod(abs, DirMode); err != nil {
			return nil, fmt.Errorf("storage: chmod directory: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("storage: stat directory: %w", err)
	}
	return &Local{dir: abs}, nil
}

// Dir returns the directory the store writes to.
func (l *Local) Dir() string { return l.dir }

func (l *Local) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", ErrInvalidKey
	}
	return filepath.Join(l.dir, key), nil
}

// Put writes r to a temporary file in the store's directory, syncs it and renames it into
// place, so readers never see a partial file and a crash leaves at most a temporary file.
func (l *Local) Put(ctx context.Context, key string, r io.Reader) (int64, string, error) {
	final, err := l.path(key)
	if err != nil {
		return 0, "", err
	}
	if _, err := os.Lstat(final); err == nil {
		return 0, "", ErrExists
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, "", fmt.Errorf("storage: stat: %w", err)
	}
	tmp, err := os.CreateTemp(l.dir, tempPrefix+"*")
	if err != nil {
		return 0, "", fmt.Errorf("storage: create temporary file: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(FileMode); err != nil {
		return 0, "", fmt.Errorf("storage: chmod: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx: ctx, r: r})
	if err != nil {
		return 0, "", fmt.Errorf("storage: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return 0, "", fmt.Errorf("storage: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, "", fmt.Errorf("storage: close: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, "", err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return 0, "", fmt.Errorf("storage: rename: %w", err)
	}
	committed = true
	syncDir(l.dir)
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Open opens the file of key for reading.
func (l *Local) Open(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open: %w", err)
	}
	return f, nil
}

// Delete removes the file of key.
func (l *Local) Delete(_ context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: delete: %w", err)
	}
	syncDir(l.dir)
	return nil
}

// syncDir makes a rename or removal durable. It is best effort: some platforms cannot sync a
// directory, and the file itself is already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// ctxReader stops a long copy when the request that feeds it is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
