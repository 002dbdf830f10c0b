package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStorageAndMetricsConfig(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	base := func() map[string]string {
		env := map[string]string{"SKILLCERT_DATABASE_URL": "postgres://x@h/db"}
		for _, k := range []string{"SKILLCERT_DATA_KEY", "SKILLCERT_LOOKUP_KEY", "SKILLCERT_SIGNING_KEY", "SKILLCERT_SESSION_KEY", "SKILLCERT_AUDIT_KEY"} {
			env[k] = key
		}
		return env
	}
	c, err := loadConfig("api", nil, envOf(base()))
	require.NoError(t, err)
	require.Equal(t, "file", c.Storage.Backend)
	require.Equal(t, c.StorageDir, c.Storage.Dir)
	require.Equal(t, ":9091", c.WorkerHTTPAddr)
	require.Empty(t, c.MetricsAddr, "no metrics listener unless configured")
	require.Empty(t, c.MetricsToken)

	env := base()
	env["SKILLCERT_STORAGE_BACKEND"] = "s3"
	env["SKILLCERT_S3_ENDPOINT"] = "http://minio:9000"
	env["SKILLCERT_S3_BUCKET"] = "skillcert"
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "SKILLCERT_S3_ACCESS_KEY")
	env["SKILLCERT_S3_ACCESS_KEY"] = "skillcert"
	env["SKILLCERT_S3_SECRET_KEY"] = "minio-secret-value"
	env["SKILLCERT_S3_REGION"] = "cn-north-1"
	c, err = loadConfig("api", nil, envOf(env))
	require.NoError(t, err)
	require.Equal(t, "s3", c.Storage.Backend)
	require.Equal(t, "http://minio:9000", c.Storage.S3.Endpoint)
	require.True(t, c.Storage.S3.PathStyle, "path style by default (MinIO)")
	require.False(t, c.Storage.S3.CreateBucket)
	require.NotContains(t, c.Storage.S3.String(), "minio-secret-value")
	require.NotContains(t, fmt.Sprint(c.Storage.S3), "minio-secret-value", "the secret never reaches a log line")

	env["SKILLCERT_S3_PATH_STYLE"] = "maybe"
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "SKILLCERT_S3_PATH_STYLE")
	env["SKILLCERT_S3_PATH_STYLE"] = "false"
	env["SKILLCERT_STORAGE_BACKEND"] = "nfs"
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "SKILLCERT_STORAGE_BACKEND")

	env = base()
	env["SKILLCERT_METRICS_TOKEN"] = "short"
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "SKILLCERT_METRICS_TOKEN")
	env["SKILLCERT_METRICS_TOKEN"] = "a-long-random-scrape-token"
	env["SKILLCERT_METRICS_ADDR"] = "9090"
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "SKILLCERT_METRICS_ADDR")
	env["SKILLCERT_METRICS_ADDR"] = "127.0.0.1:9090"
	c, err = loadConfig("api", nil, envOf(env))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9090", c.MetricsAddr)
}
