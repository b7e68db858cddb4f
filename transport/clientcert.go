package transport

import (
	"crypto/tls"
	"fmt"
)

// ClientCertificateFiles returns a function for tls.Config's
// GetClientCertificate that loads the client certificate and its key
// from PEM files (as tls.LoadX509KeyPair does) each time a server asks
// for one. Dial makes a new TLS handshake on every connection, so a
// certificate rotated on disk is presented from the next reconnect on,
// with no restart: the way an IoT agent's short-lived certificate is
// renewed while it runs.
//
// A rotation that replaces the two files one at a time can be caught
// halfway, the new certificate beside the old key: that handshake fails
// with the loading error, and client.DefaultShouldReconnect retries it
// after the backoff, by which time the pair matches. Writing each file
// to a temporary name and renaming it over the old one keeps each file
// whole. The error names the files but never holds key material.
func ClientCertificateFiles(certFile, keyFile string) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("transport: loading client certificate %s with key %s: %w", certFile, keyFile, err)
		}
		return &cert, nil
	}
}
