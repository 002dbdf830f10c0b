package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.temporal.io/sdk/client"
)

// TemporalConn is how api, worker and bootstrap reach the Temporal frontend: TLS (server
// verified by TEMPORAL_TLS_CA or the system roots, named TEMPORAL_TLS_SERVER_NAME), a client
// certificate for mTLS (TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY), and an API key
// (TEMPORAL_API_KEY, sent as a bearer token; it implies TLS). All unset: plain gRPC, as on a
// private network or the embedded dev server.
type TemporalConn struct {
	TLS    *tls.Config
	APIKey string
}

// parseTemporalConn reads the TEMPORAL_TLS_* and TEMPORAL_API_KEY settings and loads the files
// they name. Errors name the setting and the file, never key material.
func parseTemporalConn(getenv func(string) string) (TemporalConn, error) {
	cert, key := strings.TrimSpace(getenv("TEMPORAL_TLS_CERT")), strings.TrimSpace(getenv("TEMPORAL_TLS_KEY"))
	ca, name := strings.TrimSpace(getenv("TEMPORAL_TLS_CA")), strings.TrimSpace(getenv("TEMPORAL_TLS_SERVER_NAME"))
	apiKey := strings.TrimSpace(getenv("TEMPORAL_API_KEY"))
	var c TemporalConn
	c.APIKey = apiKey
	if cert == "" && key == "" && ca == "" && name == "" && apiKey == "" {
		return c, nil
	}
	if (cert == "") != (key == "") {
		return c, errors.New("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (the client certificate and its private key, PEM files)")
	}
	c.TLS = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: name}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return c, fmt.Errorf("TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY: cannot load the client certificate %s with its key: %v", cert, errors.Unwrap(err))
		}
		c.TLS.Certificates = []tls.Certificate{pair}
	}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return c, fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return c, fmt.Errorf("TEMPORAL_TLS_CA: %s holds no PEM certificate", ca)
		}
		c.TLS.RootCAs = pool
	}
	return c, nil
}

// apply sets the connection options of a client.
func (c TemporalConn) apply(o *client.Options) {
	if c.TLS != nil {
		o.ConnectionOptions.TLS = c.TLS.Clone()
	}
	if c.APIKey != "" {
		o.Credentials = client.NewAPIKeyStaticCredentials(c.APIKey)
	}
}
