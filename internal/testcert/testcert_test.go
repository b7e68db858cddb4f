package testcert

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The certificates must verify for what they are issued for, and only
// that: a test relying on a rejection must get it from the right cause.
func TestIssuedCertificatesVerify(t *testing.T) {
	ca := NewCA(t, "test CA")
	srv := ca.Server(t, "example.test", "127.0.0.1")
	leaf, err := x509.ParseCertificate(srv.TLS.Certificate[0])
	require.NoError(t, err)
	for _, host := range []string{"example.test", "127.0.0.1"} {
		_, err = leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: ca.Pool})
		assert.NoError(t, err, host)
	}
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: "other.test", Roots: ca.Pool})
	assert.Error(t, err, "a name the certificate does not hold")
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: "example.test", Roots: NewCA(t, "other CA").Pool})
	assert.Error(t, err, "another CA's roots")

	cl := ca.Client(t, "agent-1")
	cleaf, err := x509.ParseCertificate(cl.TLS.Certificate[0])
	require.NoError(t, err)
	assert.Equal(t, "agent-1", cleaf.Subject.CommonName)
	_, err = cleaf.Verify(x509.VerifyOptions{Roots: ca.Pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err)

	dir := t.TempDir()
	certFile, keyFile := cl.WriteFiles(t, dir, "client")
	loaded, err := tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	assert.Equal(t, cl.TLS.Certificate[0], loaded.Certificate[0])
}
