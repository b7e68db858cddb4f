package transport

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sturdyws/sturdy/internal/testcert"
)

// newTLSConnectProxy is a connectProxy that clients reach over TLS, with
// cert as its certificate: an https:// proxy.
func newTLSConnectProxy(t *testing.T, wantAuth string, cert tls.Certificate) *connectProxy {
	p := &connectProxy{wantAuth: wantAuth}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	return p
}

// tlsEchoServer is an echo server on loopback whose certificate, from ca,
// names example.test only; it reports the SNI it received.
func tlsEchoServer(t *testing.T, ca *testcert.CA, cfg *tls.Config) (srv *httptest.Server, sni <-chan string) {
	ch := make(chan string, 4)
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ch <- r.TLS.ServerName
		echoOnce(w, r)
	}))
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg.Certificates = []tls.Certificate{ca.Server(t, "example.test").TLS}
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, ch
}

// exampleTestName returns example.test with srv's port: a name only a
// proxy's hosts map (or the test's dialer) resolves to srv.
func exampleTestName(srv *httptest.Server) string {
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return net.JoinHostPort("example.test", port)
}

// An https:// proxy: TLS to the proxy, verified with ProxyTLSConfig's
// roots, CONNECT with Basic credentials inside it, then TLS to the server,
// verified with TLSConfig's roots, inside the tunnel. Each side's
// certificate comes from its own CA, so using one side's roots for the
// other would fail.
func TestDialHTTPSProxy(t *testing.T) {
	proxyCA, serverCA := testcert.NewCA(t, "proxy CA"), testcert.NewCA(t, "server CA")
	cred := "Basic " + base64.StdEncoding.EncodeToString([]byte("bob:s3cret"))
	proxy := newTLSConnectProxy(t, cred, proxyCA.Server(t, "127.0.0.1").TLS)
	srv, sni := tlsEchoServer(t, serverCA, nil)
	name := exampleTestName(srv)
	proxy.hosts = map[string]string{name: srv.Listener.Addr().String()}

	c, _, err := dialTest(t, "wss://"+name+"/", &DialOptions{
		Subprotocols:   []string{"echo"},
		TLSConfig:      &tls.Config{RootCAs: serverCA.Pool},
		ProxyTLSConfig: &tls.Config{RootCAs: proxyCA.Pool},
		Proxy:          proxyIs(proxy.url(url.UserPassword("bob", "s3cret"))),
	})
	require.NoError(t, err)
	assert.Equal(t, "example.test", <-sni)
	proxy.mu.Lock()
	assert.True(t, proxy.tls, "the CONNECT must travel over TLS")
	assert.Equal(t, cred, proxy.auth)
	assert.Equal(t, name, proxy.target)
	proxy.mu.Unlock()
	inner, ok := c.NetConn().(*tls.Conn)
	require.True(t, ok, "got %T, want the server's *tls.Conn", c.NetConn())
	assert.Equal(t, "example.test", inner.ConnectionState().ServerName)
	echoRoundTrip(t, c, "TLS in TLS")
}

// The proxy's certificate is verified too, with ProxyTLSConfig's roots
// (the system's by default), and a failure is the typed verification
// error, before any CONNECT is sent.
func TestDialHTTPSProxyUntrusted(t *testing.T) {
	proxyCA, serverCA := testcert.NewCA(t, "proxy CA"), testcert.NewCA(t, "server CA")
	proxy := newTLSConnectProxy(t, "", proxyCA.Server(t, "127.0.0.1").TLS)
	for name, cfg := range map[string]*tls.Config{
		"system roots":       nil,
		"the server's roots": {RootCAs: serverCA.Pool},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := dialTest(t, "wss://example.test/", &DialOptions{
				TLSConfig:      &tls.Config{RootCAs: serverCA.Pool},
				ProxyTLSConfig: cfg,
				Proxy:          proxyIs(proxy.url(url.UserPassword("bob", "s3cret"))),
			})
			var cve *tls.CertificateVerificationError
			require.ErrorAs(t, err, &cve)
			assert.Contains(t, err.Error(), "proxy TLS handshake")
			assert.NotContains(t, err.Error(), "s3cret")
			method, _, _ := proxy.seen()
			assert.Empty(t, method, "no CONNECT may reach an unverified proxy")
		})
	}
}

func TestDialHTTPSProxyAuthRequired(t *testing.T) {
	ca := testcert.NewCA(t, "proxy CA")
	proxy := newTLSConnectProxy(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("bob:right")), ca.Server(t, "127.0.0.1").TLS)
	_, _, err := dialTest(t, "wss://example.test/", &DialOptions{
		ProxyTLSConfig: &tls.Config{RootCAs: ca.Pool},
		Proxy:          proxyIs(proxy.url(url.UserPassword("bob", "wRONGw"))),
	})
	var pae *ProxyAuthError
	require.ErrorAs(t, err, &pae)
	assert.Equal(t, http.StatusProxyAuthRequired, pae.StatusCode)
	assert.NotContains(t, err.Error(), "wRONGw")
	var he *HandshakeError
	assert.False(t, errors.As(err, &he))
}

func TestDialProxyRefusesConnect(t *testing.T) {
	proxy := newConnectProxy(t, "")
	// Nothing listens there once ln is closed: the proxy answers 502.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	ln.Close()
	_, _, err = dialTest(t, "ws://"+closed+"/", &DialOptions{Proxy: proxyIs(proxy.url(nil))})
	var pe *ProxyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, http.StatusBadGateway, pe.StatusCode)
	assert.Zero(t, pe.SOCKSReply)
}
