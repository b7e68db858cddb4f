package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sturdyws/sturdy/internal/testcert"
)

// echoRoundTrip sends one message on c and checks the echo.
func echoRoundTrip(t *testing.T, c *Conn, msg string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, c.Write(ctx, MessageText, []byte(msg)))
	_, p, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, msg, string(p))
	require.NoError(t, c.Close(StatusNormalClosure, ""))
}

func proxyIs(p *url.URL) func(*http.Request) (*url.URL, error) {
	return func(*http.Request) (*url.URL, error) { return p, nil }
}

// socks5h:// hands the name to the proxy: the target, example.test, is a
// name only the proxy knows, so the connection can only have gone through
// it, and the proxy must have been given the name, not an address.
func TestDialSOCKS5hWithPassword(t *testing.T) {
	target := echoServer(t)
	proxy := newSOCKSProxy(t, "bob", "s3cret pass")
	_, port, _ := net.SplitHostPort(target.Listener.Addr().String())
	name := net.JoinHostPort("example.test", port)
	proxy.hosts = map[string]string{name: target.Listener.Addr().String()}

	c, _, err := dialTest(t, "ws://"+name+"/", &DialOptions{
		Subprotocols: []string{"echo"},
		Proxy:        proxyIs(proxy.url("socks5h", url.UserPassword("bob", "s3cret pass"))),
	})
	require.NoError(t, err)
	echoRoundTrip(t, c, "through SOCKS5")

	reqs := proxy.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, []byte{0, 2}, reqs[0].methods, "no-auth and username/password offered")
	assert.Equal(t, "bob", reqs[0].user)
	assert.Equal(t, "s3cret pass", reqs[0].pass)
	assert.Equal(t, byte(3), reqs[0].atyp, "got ATYP %d, want 3 (domain name)", reqs[0].atyp)
	assert.Equal(t, "example.test", reqs[0].host)
}

// socks5:// resolves the name itself and gives the proxy an address.
func TestDialSOCKS5ResolvesLocally(t *testing.T) {
	target := echoServer(t)
	proxy := newSOCKSProxy(t, "", "")
	_, port, _ := net.SplitHostPort(target.Listener.Addr().String())
	c, _, err := dialTest(t, "ws://localhost:"+port+"/", &DialOptions{
		Subprotocols: []string{"echo"},
		Proxy:        proxyIs(proxy.url("socks5", nil)),
	})
	require.NoError(t, err)
	echoRoundTrip(t, c, "resolved here")
	reqs := proxy.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, []byte{0}, reqs[0].methods, "without user info only no-auth is offered")
	assert.Contains(t, []byte{1, 4}, reqs[0].atyp, "got ATYP %d, want an address", reqs[0].atyp)
	ip := net.ParseIP(reqs[0].host)
	require.NotNil(t, ip, "got host %q, want an address", reqs[0].host)
	assert.True(t, ip.IsLoopback())
}

// wss through SOCKS5: TLS with the server runs inside the tunnel, with
// the URL's host as SNI and as the name the certificate must carry.
func TestDialTLSThroughSOCKS5(t *testing.T) {
	ca := testcert.NewCA(t, "server CA")
	srv, sni := tlsEchoServer(t, ca, nil)
	name := exampleTestName(srv)
	proxy := newSOCKSProxy(t, "", "")
	proxy.hosts = map[string]string{name: srv.Listener.Addr().String()}

	c, _, err := dialTest(t, "wss://"+name+"/", &DialOptions{
		TLSConfig:    &tls.Config{RootCAs: ca.Pool},
		Subprotocols: []string{"echo"},
		Proxy:        proxyIs(proxy.url("socks5h", nil)),
	})
	require.NoError(t, err)
	assert.Equal(t, "example.test", <-sni)
	echoRoundTrip(t, c, "TLS inside SOCKS5")
}

func TestDialSOCKS5WrongPassword(t *testing.T) {
	proxy := newSOCKSProxy(t, "bob", "right")
	_, _, err := dialTest(t, "ws://example.test/?token=qTOKENq", &DialOptions{
		Proxy: proxyIs(proxy.url("socks5h", url.UserPassword("bOBUSERb", "wRONGw"))),
	})
	var pae *ProxyAuthError
	require.ErrorAs(t, err, &pae)
	assert.False(t, pae.NoAcceptableMethod)
	assert.Zero(t, pae.StatusCode)
	var pe *ProxyError
	assert.False(t, errors.As(err, &pe), "a refusal of the credentials is not a refused CONNECT")
	for _, secret := range []string{"wRONGw", "bOBUSERb", "qTOKENq"} {
		assert.NotContains(t, err.Error(), secret)
	}
}

func TestDialSOCKS5CredentialsMissing(t *testing.T) {
	proxy := newSOCKSProxy(t, "bob", "right")
	_, _, err := dialTest(t, "ws://example.test/", &DialOptions{Proxy: proxyIs(proxy.url("socks5h", nil))})
	var pae *ProxyAuthError
	require.ErrorAs(t, err, &pae)
	assert.True(t, pae.NoAcceptableMethod, "the proxy accepted none of the methods offered")
}

func TestDialSOCKS5Refused(t *testing.T) {
	proxy := newSOCKSProxy(t, "", "")
	proxy.reply = 2
	_, _, err := dialTest(t, "ws://example.test/", &DialOptions{Proxy: proxyIs(proxy.url("socks5h", nil))})
	var pe *ProxyError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 2, pe.SOCKSReply)
	assert.Zero(t, pe.StatusCode)
	assert.Contains(t, err.Error(), "not allowed by ruleset")
}

func TestDialSOCKS5InvalidCredentials(t *testing.T) {
	long := strings.Repeat("x", 256)
	for name, user := range map[string]*url.Userinfo{
		"empty user":    url.UserPassword("", "pw"),
		"long user":     url.User(long),
		"long password": url.UserPassword("bob", long),
	} {
		t.Run(name, func(t *testing.T) {
			proxy := newSOCKSProxy(t, "", "")
			_, _, err := dialTest(t, "ws://example.test/", &DialOptions{Proxy: proxyIs(proxy.url("socks5h", user))})
			require.ErrorIs(t, err, ErrInvalidURL)
			assert.NotContains(t, err.Error(), long)
			assert.Empty(t, proxy.requests(), "nothing may reach the proxy")
		})
	}
}

// HandshakeTimeout bounds the whole dial, the proxy's part included: a
// proxy that accepts and then says nothing cannot hold Dial longer, of
// whatever kind it is.
func TestDialHandshakeTimeoutCoversProxy(t *testing.T) {
	for _, scheme := range []string{"http", "https", "socks5", "socks5h"} {
		t.Run(scheme, func(t *testing.T) {
			addr, accepted := silentServer(t)
			p := &url.URL{Scheme: scheme, Host: addr}
			// An address: socks5:// would otherwise look the name up first.
			errc := waitDial(context.Background(), "wss://127.0.0.1:9/", &DialOptions{
				HandshakeTimeout: 50 * time.Millisecond,
				Proxy:            proxyIs(p),
			})
			<-accepted
			err := awaitErr(t, errc)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			var ht *handshakeTimeout
			require.ErrorAs(t, err, &ht, "the cause is the HandshakeTimeout")
		})
	}
}

// silentServer accepts TCP connections, reports each, and never says a
// word: a proxy stuck before its first answer, whatever its protocol.
func silentServer(t *testing.T) (addr string, accepted <-chan struct{}) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ch := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case ch <- struct{}{}:
			default:
			}
			wg.Go(func() {
				defer nc.Close()
				drainUntilClosed(nc)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), ch
}
