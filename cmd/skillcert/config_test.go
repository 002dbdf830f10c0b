package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestProductionCommandsRequireDatabaseAndSecrets(t *testing.T) {
	_, err := loadConfig("api", nil, envOf(nil))
	require.ErrorContains(t, err, "SKILLCERT_DATABASE_URL is required")

	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	env := map[string]string{"SKILLCERT_DATABASE_URL": "postgres://x@h/db"}
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "SKILLCERT_DATA_KEY is required")

	env["SKILLCERT_DATA_KEY"] = "c2hvcnQ=" // "short"
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "SKILLCERT_DATA_KEY: must be the base64 encoding of exactly 32 bytes")
	require.NotContains(t, err.Error(), "c2hvcnQ=", "a secret's value is never echoed")

	for _, k := range []string{"SKILLCERT_DATA_KEY", "SKILLCERT_LOOKUP_KEY", "SKILLCERT_SIGNING_KEY", "SKILLCERT_SESSION_KEY"} {
		env[k] = key
	}
	// The audit chain's key is required too: without it the chain could be recomputed.
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "SKILLCERT_AUDIT_KEY is required")
	env["SKILLCERT_AUDIT_KEY"] = key
	c, err := loadConfig("api", nil, envOf(env))
	require.NoError(t, err)
	require.Equal(t, "intl", c.CryptoSuite)
	require.Equal(t, 1, c.KeyVersion)

	// gm needs the SM2 signing key; a bad one is refused without echoing it.
	env["SKILLCERT_CRYPTO_SUITE"] = "gm"
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "SKILLCERT_SM2_SIGNING_KEY is required with SKILLCERT_CRYPTO_SUITE=gm")
	zero := base64.StdEncoding.EncodeToString(make([]byte, 32))
	env["SKILLCERT_SM2_SIGNING_KEY"] = zero
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "not a valid SM2 private key")
	env["SKILLCERT_SM2_SIGNING_KEY"] = key
	env["SKILLCERT_KEY_VERSION"] = "2"
	env["SKILLCERT_RETIRED_KEYS"] = "1:" + key + ":" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{8}, 32))
	c, err = loadConfig("api", nil, envOf(env))
	require.NoError(t, err)
	require.Equal(t, "gm", c.CryptoSuite)
	require.Equal(t, 2, c.KeyVersion)
	require.Len(t, c.RetiredKeys, 1)
	require.Equal(t, 1, c.RetiredKeys[0].Version)
	env["SKILLCERT_RETIRED_KEYS"] = "1:" + key
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "SKILLCERT_RETIRED_KEYS: entry 1 is not version:data-key:lookup-key")
	require.NotContains(t, err.Error(), key)
	for _, k := range []string{"SKILLCERT_CRYPTO_SUITE", "SKILLCERT_SM2_SIGNING_KEY", "SKILLCERT_KEY_VERSION", "SKILLCERT_RETIRED_KEYS"} {
		delete(env, k)
	}
	require.Equal(t, ":8080", c.HTTPAddr)
	require.Equal(t, "skillcert", c.TemporalNamespace)

	// Flags win over the environment.
	c, err = loadConfig("api", []string{"-http", "127.0.0.1:9999"}, envOf(env))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9999", c.HTTPAddr)
}

func TestConfigRejectsBadValues(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"log level":  {"SKILLCERT_LOG_LEVEL": "loud"},
		"log format": {"SKILLCERT_LOG_FORMAT": "xml"},
		"public url": {"SKILLCERT_PUBLIC_URL": "example.org"},
		"port":       {"SKILLCERT_DEV_TEMPORAL_PORT": "seventy"},
		"shutdown":   {"SKILLCERT_SHUTDOWN_TIMEOUT": "-1s"},
		"suite":      {"SKILLCERT_CRYPTO_SUITE": "des"},
		"version":    {"SKILLCERT_KEY_VERSION": "0"},
		"checkpoint": {"SKILLCERT_AUDIT_CHECKPOINT_ROWS": "0"},
		// The national records carry full ID numbers: HTTPS only.
		"plain http national sync": {"SKILLCERT_NATIONAL_SYNC_URL": "http://national.example/api"},
	} {
		t.Run(name, func(t *testing.T) {
			env["SKILLCERT_DATA_DIR"] = t.TempDir()
			_, err := loadConfig("dev", nil, envOf(env))
			require.Error(t, err)
		})
	}
}

func TestDevCreatesKeysOnceAndKeepsThem(t *testing.T) {
	dir := t.TempDir()
	env := envOf(map[string]string{"SKILLCERT_DATA_DIR": dir})
	c1, err := loadConfig("dev", nil, env)
	require.NoError(t, err)
	require.Len(t, c1.DataKey, 32)
	require.Equal(t, filepath.Join(dir, "skillcert.db"), c1.DatabaseURL)
	st, err := os.Stat(filepath.Join(dir, "keys.json"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "keys readable by the owner only")
	c2, err := loadConfig("dev", nil, env)
	require.NoError(t, err)
	require.Equal(t, c1.DataKey, c2.DataKey, "restart keeps the keys (encrypted data stays readable)")
	require.Equal(t, c1.SigningKey, c2.SigningKey)
	require.Len(t, c1.AuditKey, 32)
	require.Len(t, c1.SM2SigningKey, 32)
	require.Equal(t, c1.AuditKey, c2.AuditKey)
	require.Equal(t, c1.SM2SigningKey, c2.SM2SigningKey)
}

func TestEveryConfigVariableIsInTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, d := range envDefaults {
		require.True(t, strings.Contains(string(readme), "`"+d.name+"`"), "README lacks %s", d.name)
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out bytes.Buffer
	require.Equal(t, 0, run([]string{"version"}, envOf(nil), &out))
	require.Contains(t, out.String(), "skillcert")
	require.Equal(t, 2, run([]string{"nope"}, envOf(map[string]string{"SKILLCERT_DATA_DIR": t.TempDir()}), &out))
}

// Two-factor login is required by default in production (api), not in the dev demo.
func TestTwoFactorRequiredDefault(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	env := map[string]string{"SKILLCERT_DATABASE_URL": "postgres://x@h/db"}
	for _, k := range []string{"SKILLCERT_DATA_KEY", "SKILLCERT_LOOKUP_KEY", "SKILLCERT_SIGNING_KEY", "SKILLCERT_SESSION_KEY", "SKILLCERT_AUDIT_KEY"} {
		env[k] = key
	}
	c, err := loadConfig("api", nil, envOf(env))
	require.NoError(t, err)
	require.True(t, c.TwoFactorRequired, "api: on")
	env["SKILLCERT_2FA_REQUIRED"] = "false"
	c, err = loadConfig("api", nil, envOf(env))
	require.NoError(t, err)
	require.False(t, c.TwoFactorRequired)
	env["SKILLCERT_2FA_REQUIRED"] = "maybe"
	_, err = loadConfig("api", nil, envOf(env))
	require.ErrorContains(t, err, "SKILLCERT_2FA_REQUIRED")
	c, err = loadConfig("dev", []string{"-data", t.TempDir()}, envOf(nil))
	require.NoError(t, err)
	require.False(t, c.TwoFactorRequired, "dev: off")
}
