// Package s3test runs an S3-compatible server (gofakes3, in memory) inside a test, so the S3
// Store is exercised over real HTTP with request signing, without a MinIO container.
package s3test

import (
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"skillcert/storage"
)

// Server is an in-test S3 server with one bucket.
type Server struct {
	URL    string
	Bucket string
	srv    *httptest.Server
}

// Test credentials the server accepts (gofakes3 does not check signatures, the client still
// signs every request).
const (
	AccessKey = "skillcert-test"
	SecretKey = "skillcert-test-secret"
	Region    = "cn-north-1"
)

// Start runs a server with bucket created; it stops when the test ends.
func Start(t testing.TB, bucket string) *Server {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket(bucket); err != nil {
		t.Fatalf("s3test: create bucket: %v", err)
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Bucket: bucket, srv: srv}
}

// Config is the storage configuration that addresses the server's bucket.
func (s *Server) Config() storage.S3Config {
	return storage.S3Config{Endpoint: s.URL, Bucket: s.Bucket, Region: Region, AccessKey: AccessKey,
		SecretKey: SecretKey, PathStyle: true}
}

// Close stops the server before the test ends (an outage).
func (s *Server) Close() { s.srv.Close() }
