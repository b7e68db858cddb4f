package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sturdyws/sturdy/internal/testcert"
)

// dialExampleTest dials srv as wss://example.test:port, the name
// resolved to srv by the dialer, so that SNI and verification use it.
func dialExampleTest(t *testing.T, srv *httptest.Server, cfg *tls.Config) (*Conn, error) {
	t.Helper()
	c, _, err := dialTest(t, "wss://"+exampleTestName(srv)+"/", &DialOptions{
		Subprotocols: []string{"echo"},
		TLSConfig:    cfg,
		Proxy:        proxyIs(nil),
		NetDialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return new(net.Dialer).DialContext(ctx, network, srv.Listener.Addr().String())
		},
	})
	return c, err
}

// Custom roots and SNI: the server's certificate is trusted through
// RootCAs alone, and the server sees the URL's host as SNI.
func TestDialTLSCustomRoots(t *testing.T) {
	ca := testcert.NewCA(t, "server CA")
	srv, sni := tlsEchoServer(t, ca, nil)
	c, err := dialExampleTest(t, srv, &tls.Config{RootCAs: ca.Pool})
	require.NoError(t, err)
	assert.Equal(t, "example.test", <-sni)
	echoRoundTrip(t, c, "verified")
}

// A certificate that does not verify is a typed error: the standard
// library's *tls.CertificateVerificationError, whose cause tells an
// unknown authority from a wrong name.
func TestDialTLSVerificationFails(t *testing.T) {
	ca := testcert.NewCA(t, "server CA")
	srv, _ := tlsEchoServer(t, ca, nil)
	t.Run("unknown authority", func(t *testing.T) {
		_, err := dialExampleTest(t, srv, &tls.Config{RootCAs: testcert.NewCA(t, "other CA").Pool})
		var cve *tls.CertificateVerificationError
		require.ErrorAs(t, err, &cve)
		var ua x509.UnknownAuthorityError
		assert.ErrorAs(t, err, &ua)
	})
	t.Run("wrong name", func(t *testing.T) {
		_, err := dialExampleTest(t, srv, &tls.Config{RootCAs: ca.Pool, ServerName: "other.test"})
		var cve *tls.CertificateVerificationError
		require.ErrorAs(t, err, &cve)
		var he x509.HostnameError
		assert.ErrorAs(t, err, &he)
	})
}

// ClientCertificateFiles reads the files at every handshake: a
// certificate rotated on disk between two dials is the one the server
// sees on the second, with nothing else changed. The same tls.Config
// serves both dials, as a Client's DialOptions would.
func TestClientCertificateRotation(t *testing.T) {
	serverCA, clientCA := testcert.NewCA(t, "server CA"), testcert.NewCA(t, "client CA")
	seen := make(chan string, 4)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.TLS.PeerCertificates[0].Subject.CommonName
		echoOnce(w, r)
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{serverCA.Server(t, "example.test").TLS},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCA.Pool,
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	certFile, keyFile := clientCA.Client(t, "agent-1").WriteFiles(t, dir, "client")
	cfg := &tls.Config{RootCAs: serverCA.Pool, GetClientCertificate: ClientCertificateFiles(certFile, keyFile)}

	c, err := dialExampleTest(t, srv, cfg)
	require.NoError(t, err)
	assert.Equal(t, "agent-1", <-seen)
	echoRoundTrip(t, c, "first certificate")

	clientCA.Client(t, "agent-2").WriteFiles(t, dir, "client")
	c, err = dialExampleTest(t, srv, cfg)
	require.NoError(t, err)
	assert.Equal(t, "agent-2", <-seen, "the rotated certificate is used on the next dial")
	echoRoundTrip(t, c, "second certificate")
}

// A certificate that cannot be loaded fails that dial with an error
// naming the files, which is not a verification failure: a rotation
// caught halfway is retried.
func TestClientCertificateFilesMissing(t *testing.T) {
	serverCA, clientCA := testcert.NewCA(t, "server CA"), testcert.NewCA(t, "client CA")
	srv, _ := tlsEchoServer(t, serverCA, &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.Pool})
	missing := filepath.Join(t.TempDir(), "none")
	_, err := dialExampleTest(t, srv, &tls.Config{
		RootCAs:              serverCA.Pool,
		GetClientCertificate: ClientCertificateFiles(missing+".crt", missing+".key"),
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), missing+".crt")
	var cve *tls.CertificateVerificationError
	assert.False(t, errors.As(err, &cve))
}
