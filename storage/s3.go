package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config addresses a bucket of an S3-compatible object store (MinIO, Alibaba OSS, Huawei OBS,
// AWS S3). It is read from the environment only; SecretKey is never printed (see String).
type S3Config struct {
	// Endpoint is the service URL, e.g. http://minio:9000 or https://oss-cn-hangzhou.aliyuncs.com;
	// https is assumed when the scheme is missing.
	Endpoint string
	Bucket   string
	Region   string
	// Prefix is put in front of every key ("skillcert/"), so one bucket can hold other data.
	Prefix    string
	AccessKey string
	SecretKey string // secret
	// PathStyle addresses the bucket as endpoint/bucket (MinIO, most private deployments)
	// instead of bucket.endpoint (OSS and OBS public endpoints).
	PathStyle bool
	// CreateBucket makes the bucket at start when it is missing (dev and tests; production
	// buckets are made by the operator with their retention and access policy).
	CreateBucket bool
	// Transport replaces the HTTP transport (tests; nil: the default).
	Transport http.RoundTripper
}

// String describes the configuration without its secret.
func (c S3Config) String() string {
	return fmt.Sprintf("s3(endpoint=%s bucket=%s region=%s prefix=%q path-style=%t access-key-set=%t)",
		c.Endpoint, c.Bucket, c.Region, c.Prefix, c.PathStyle, c.AccessKey != "")
}

// S3 is a Store on a bucket of an S3-compatible object store. Every replica configured with the
// same bucket sees the same objects, which is what lets api processes scale out.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

var _ Store = (*S3)(nil)

// NewS3 connects to the bucket of cfg and checks that it exists (or makes it when
// cfg.CreateBucket), so a wrong endpoint, bucket or key stops the process at start.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("storage: S3 endpoint and bucket are required")
	}
	raw := cfg.Endpoint
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("storage: S3 endpoint %q is not an http(s) URL or host:port", cfg.Endpoint)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("storage: S3 endpoint %q must not have a path (the bucket is set apart)", cfg.Endpoint)
	}
	lookup := minio.BucketLookupDNS
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	opts := &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    cfg.Transport,
	}
	cl, err := minio.New(u.Host, opts)
	if err != nil {
		return nil, fmt.Errorf("storage: S3 client: %w", err)
	}
	prefix := strings.TrimLeft(cfg.Prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	s := &S3{client: cl, bucket: cfg.Bucket, prefix: prefix}
	ok, err := cl.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("storage: S3 bucket %s at %s: %w", cfg.Bucket, u.Host, err)
	}
	if !ok {
		if !cfg.CreateBucket {
			return nil, fmt.Errorf("storage: S3 bucket %s does not exist at %s", cfg.Bucket, u.Host)
		}
		if err := cl.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			return nil, fmt.Errorf("storage: create S3 bucket %s: %w", cfg.Bucket, err)
		}
	}
	return s, nil
}

// sha256Meta is the user metadata that records an object's hash next to it.
const sha256Meta = "Sha256"

func (s *S3) object(key string) (string, error) {
	if !ValidKey(key) {
		return "", ErrInvalidKey
	}
	return s.prefix + key, nil
}

func isNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusNotFound || r.Code == minio.NoSuchKey || r.Code == "NotFound"
}

// Put spools r to a temporary file (hashing it), then uploads it in one request: the object
// store makes it visible only when complete, and a failed or cancelled Put leaves nothing.
func (s *S3) Put(ctx context.Context, key string, r io.Reader) (int64, string, error) {
	name, err := s.object(key)
	if err != nil {
		return 0, "", err
	}
	if _, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{}); err == nil {
		return 0, "", ErrExists
	} else if !isNotFound(err) {
		return 0, "", fmt.Errorf("storage: S3 stat: %w", err)
	}
	tmp, err := os.CreateTemp("", "skillcert-upload-*")
	if err != nil {
		return 0, "", fmt.Errorf("storage: spool: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx: ctx, r: r})
	if err != nil {
		return 0, "", fmt.Errorf("storage: spool: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, "", fmt.Errorf("storage: spool: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if _, err := s.client.PutObject(ctx, s.bucket, name, tmp, n, minio.PutObjectOptions{
		ContentType:      "application/octet-stream",
		UserMetadata:     map[string]string{sha256Meta: sum},
		DisableMultipart: n <= 1<<30,
	}); err != nil {
		return 0, "", fmt.Errorf("storage: S3 put: %w", err)
	}
	return n, sum, nil
}

// Open returns the object of key, or ErrNotFound. The first request is made here, so a missing
// object is reported by Open and not by the first Read.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	name, err := s.object(key)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("storage: S3 get: %w", err)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		if isNotFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("storage: S3 get: %w", err)
	}
	return obj, nil
}

// Delete removes the object of key; a missing object is not an error.
func (s *S3) Delete(ctx context.Context, key string) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return fmt.Errorf("storage: S3 delete: %w", err)
	}
	return nil
}

// Hash returns the hex SHA-256 recorded with the object of key at Put (ErrNotFound when
// missing), so a check can compare it with the database without downloading the bytes.
func (s *S3) Hash(ctx context.Context, key string) (string, error) {
	name, err := s.object(key)
	if err != nil {
		return "", err
	}
	info, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return "", ErrNotFound
		}
		return "", fmt.Errorf("storage: S3 stat: %w", err)
	}
	return info.UserMetadata[sha256Meta], nil
}

// Config selects and configures the Store of a process: Backend "file" (the default) keeps
// attachments in Dir, "s3" in the bucket of S3.
type Config struct {
	Backend string
	Dir     string
	S3      S3Config
}

// Open returns the Store cfg describes.
func Open(ctx context.Context, cfg Config) (Store, error) {
	switch cfg.Backend {
	case "", "file":
		return NewLocal(cfg.Dir)
	case "s3":
		return NewS3(ctx, cfg.S3)
	default:
		return nil, fmt.Errorf("storage: backend %q is neither file nor s3", cfg.Backend)
	}
}
