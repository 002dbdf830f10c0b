package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/storage"
	"skillcert/storage/s3test"
)

// Two api replicas on one database, each with its own local directory (as two hosts have),
// configured with the shared S3 backend: a file uploaded through one is read through the
// other. With the file backend the second replica answered 500 (issue 14).
func TestAttachmentUploadedOnOneReplicaIsReadOnAnother(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		bucket := s3test.Start(t, "skillcert-attachments")
		now := time.Now()
		deps := webtest.Deps(t, db, testPassword, func() time.Time { return now })
		replica := func() *testEnv {
			d := deps
			d.StorageDir = t.TempDir() // each host has its own disk
			st, err := storage.Open(context.Background(), storage.Config{Backend: "s3", Dir: d.StorageDir, S3: bucket.Config()})
			require.NoError(t, err)
			d.Store = st
			s := newServer(t, d, Config{PublicURL: "http://test", SessionKey: webtest.SessionKey})
			env := &testEnv{t: t, db: db, now: now, api: s, srv: httptest.NewServer(s.Handler(nil))}
			t.Cleanup(env.srv.Close)
			return env
		}
		a, b := replica(), replica()
		dairy := a.bearer("dairy")

		content := samplePDF("营业执照扫描件（副本）")
		code, body := a.uploadAs(dairy, upload{name: "营业执照.pdf", content: content, purpose: models.ConditionPurpose(1)})
		require.Equal(t, http.StatusCreated, code, "%v", body)
		id := body["id"].(string)

		for _, env := range []*testEnv{b, a} {
			resp, got := env.download(dairy, id)
			require.Equal(t, http.StatusOK, resp.StatusCode, "read through %s", env.srv.URL)
			require.Equal(t, content, got)
			require.Equal(t, sha256Hex(content), resp.Header.Get("X-Content-SHA256"))
		}
		// A reviewer on the other replica reads the same evidence.
		resp, got := b.download(b.bearer("region"), id)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, content, got)
	})
}
