package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

// testCert issues a certificate for cn signed by parent (self-signed when parent is nil) and
// writes cert and key as PEM files into dir.
func testCert(t *testing.T, dir, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{cn},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: isCA, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile := filepath.Join(dir, cn+".pem"), filepath.Join(dir, cn+".key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	return cert, key, certFile, keyFile
}

func TestTemporalTLSSettings(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, caFile, _ := testCert(t, dir, "test-ca", nil, nil, true)
	_, _, clientCert, clientKey := testCert(t, dir, "skillcert-worker", ca, caKey, false)

	c, err := parseTemporalConn(envOf(nil))
	require.NoError(t, err)
	require.Nil(t, c.TLS, "nothing set: plain gRPC")
	var o client.Options
	c.apply(&o)
	require.Nil(t, o.ConnectionOptions.TLS)
	require.Nil(t, o.Credentials)

	_, err = parseTemporalConn(envOf(map[string]string{"TEMPORAL_TLS_CERT": clientCert}))
	require.ErrorContains(t, err, "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together")
	_, err = parseTemporalConn(envOf(map[string]string{"TEMPORAL_TLS_CERT": clientCert, "TEMPORAL_TLS_KEY": caFile}))
	require.ErrorContains(t, err, "cannot load the client certificate")
	keyPEM, _ := os.ReadFile(clientKey)
	require.NotContains(t, err.Error(), string(keyPEM))
	_, err = parseTemporalConn(envOf(map[string]string{"TEMPORAL_TLS_CA": clientKey}))
	require.ErrorContains(t, err, "holds no PEM certificate")
	_, err = parseTemporalConn(envOf(map[string]string{"TEMPORAL_TLS_CA": filepath.Join(dir, "missing.pem")}))
	require.ErrorContains(t, err, "TEMPORAL_TLS_CA")

	// An API key alone: TLS on the system roots, the key as credentials.
	c, err = parseTemporalConn(envOf(map[string]string{"TEMPORAL_API_KEY": "k-123"}))
	require.NoError(t, err)
	require.NotNil(t, c.TLS)
	require.Nil(t, c.TLS.RootCAs)
	o = client.Options{}
	c.apply(&o)
	require.NotNil(t, o.ConnectionOptions.TLS)
	require.NotNil(t, o.Credentials)

	// Through loadConfig, for every command that dials Temporal.
	env := map[string]string{"TEMPORAL_TLS_CA": caFile, "TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
		"TEMPORAL_TLS_CERT": clientCert, "TEMPORAL_TLS_KEY": clientKey, "SKILLCERT_DATABASE_URL": "postgres://x@h/db"}
	cfg, err := loadConfig("migrate", nil, envOf(env))
	require.NoError(t, err)
	require.Equal(t, "temporal.internal", cfg.Temporal.TLS.ServerName)
	require.Len(t, cfg.Temporal.TLS.Certificates, 1)
	require.NotNil(t, cfg.Temporal.TLS.RootCAs)
	opts := temporalClientOptions(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), "127.0.0.1:1")
	require.Equal(t, "temporal.internal", opts.ConnectionOptions.TLS.ServerName)
	delete(env, "TEMPORAL_TLS_KEY")
	_, err = loadConfig("worker", nil, envOf(env))
	require.ErrorContains(t, err, "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together")
}

// The client's TLS reaches the wire: against a TLS listener that demands a client certificate
// from the CA, the handshake verifies the server by name and presents the worker's certificate.
func TestTemporalClientDialsWithMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, caFile, _ := testCert(t, dir, "test-ca", nil, nil, true)
	_, _, serverCert, serverKey := testCert(t, dir, "temporal.internal", ca, caKey, false)
	_, _, clientCert, clientKey := testCert(t, dir, "skillcert-worker", ca, caKey, false)
	pair, err := tls.LoadX509KeyPair(serverCert, serverKey)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, NextProtos: []string{"h2"}})
	require.NoError(t, err)
	defer ln.Close()
	seen := make(chan tls.ConnectionState, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			tc := conn.(*tls.Conn)
			if tc.Handshake() == nil {
				seen <- tc.ConnectionState()
			}
			conn.Close()
		}
	}()
	cfg, err := loadConfig("migrate", nil, envOf(map[string]string{"TEMPORAL_TLS_CA": caFile, "TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
		"TEMPORAL_TLS_CERT": clientCert, "TEMPORAL_TLS_KEY": clientKey, "SKILLCERT_DATABASE_URL": "postgres://x@h/db"}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, _ = client.DialContext(ctx, temporalClientOptions(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), ln.Addr().String()))
	select {
	case st := <-seen:
		require.Equal(t, "temporal.internal", st.ServerName)
		require.Len(t, st.PeerCertificates, 1)
		require.Equal(t, "skillcert-worker", st.PeerCertificates[0].Subject.CommonName)
	case <-time.After(3 * time.Second):
		t.Fatal("no TLS handshake with the client certificate")
	}
	var _ net.Listener = ln
}
