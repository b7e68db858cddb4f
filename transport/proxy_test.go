package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectProxy is an HTTP CONNECT proxy on loopback that records what it
// was asked and, when wantAuth is set, answers 407 unless the request's
// Proxy-Authorization matches it.
type connectProxy struct {
	srv      *httptest.Server
	wantAuth string
	// hosts maps a CONNECT target to the address the proxy dials instead,
	// as a proxy's own DNS would: it lets a test name a host that only the
	// proxy can reach. Targets not in it are dialed as they are.
	hosts map[string]string

	mu     sync.Mutex
	method string
	target string
	auth   string
	tls    bool // the CONNECT came over TLS
}

func newConnectProxy(t *testing.T, wantAuth string) *connectProxy {
	p := &connectProxy{wantAuth: wantAuth}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// url returns the proxy's URL with the given user info, if any.
func (p *connectProxy) url(user *url.Userinfo) *url.URL {
	u, _ := url.Parse(p.srv.URL)
	u.User = user
	return u
}

func (p *connectProxy) seen() (method, target, auth string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.method, p.target, p.auth
}

func (p *connectProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.method, p.target, p.auth = r.Method, r.Host, r.Header.Get("Proxy-Authorization")
	p.tls = r.TLS != nil
	p.mu.Unlock()
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	if p.wantAuth != "" && r.Header.Get("Proxy-Authorization") != p.wantAuth {
		w.Header().Set("Proxy-Authenticate", `Basic realm="test"`)
		http.Error(w, "who are you?", http.StatusProxyAuthRequired)
		return
	}
	addr := r.Host
	if a, ok := p.hosts[addr]; ok {
		addr = a
	}
	upstream, err := net.Dial("tcp", addr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer upstream.Close()
	client, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer client.Close()
	if _, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	// Splice both ways; when either side ends, close both so the other
	// copy ends too, and wait for it before the handler returns.
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(upstream, brw.Reader) // brw may hold bytes read ahead
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(client, upstream)
		done <- struct{}{}
	}()
	<-done
	client.Close()
	upstream.Close()
	<-done
}

// echoServer is a plain-HTTP test server that upgrades with Accept and
// echoes one message.
func echoServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(echoOnce))
	t.Cleanup(srv.Close)
	return srv
}

func TestDialThroughProxy(t *testing.T) {
	cred := "Basic " + base64.StdEncoding.EncodeToString([]byte("bob:s3cret pass"))
	proxy := newConnectProxy(t, cred)
	target := echoServer(t)
	opts := &DialOptions{
		Subprotocols: []string{"echo"},
		Proxy: func(req *http.Request) (*url.URL, error) {
			assert.Equal(t, "http", req.URL.Scheme, "the proxy function sees ws as http")
			return proxy.url(url.UserPassword("bob", "s3cret pass")), nil
		},
	}
	c, _, err := dialTest(t, target.URL+"/path", opts)
	require.NoError(t, err)

	method, host, auth := proxy.seen()
	assert.Equal(t, http.MethodConnect, method)
	assert.Equal(t, strings.TrimPrefix(target.URL, "http://"), host)
	assert.Equal(t, cred, auth, "Proxy-Authorization comes from the proxy URL's user info")

	ctx := context.Background()
	require.NoError(t, c.Write(ctx, MessageText, []byte("through the tunnel")))
	_, p, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "through the tunnel", string(p))
	require.NoError(t, c.Close(StatusNormalClosure, ""))
}

// wss:// through a CONNECT proxy: the client asks the proxy for a tunnel
// to the target's host and port, then runs TLS inside it, with the
// target's host name as SNI and as the name the certificate must carry.
// The target is example.com (a name httptest's certificate holds), which
// only the proxy resolves, to the loopback TLS server: the connection can
// only have gone through the tunnel.
func TestDialTLSThroughProxy(t *testing.T) {
	sni := make(chan string, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sni <- r.TLS.ServerName
		echoOnce(w, r)
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	target := net.JoinHostPort("example.com", port)

	proxy := newConnectProxy(t, "")
	proxy.hosts = map[string]string{target: srv.Listener.Addr().String()}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	var dialed []string
	c, _, err := dialTest(t, "wss://"+target+"/secure", &DialOptions{
		TLSConfig:    &tls.Config{RootCAs: pool},
		Subprotocols: []string{"echo"},
		Proxy: func(req *http.Request) (*url.URL, error) {
			assert.Equal(t, "https", req.URL.Scheme, "the proxy function sees wss as https")
			return proxy.url(nil), nil
		},
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialed = append(dialed, addr)
			return new(net.Dialer).DialContext(ctx, network, addr)
		},
	})
	require.NoError(t, err)

	method, host, _ := proxy.seen()
	assert.Equal(t, http.MethodConnect, method)
	assert.Equal(t, target, host, "got CONNECT %s, want the target's host:port", host)
	assert.Equal(t, []string{proxy.srv.Listener.Addr().String()}, dialed, "the client dials the proxy only")
	tc, ok := c.NetConn().(*tls.Conn)
	require.True(t, ok, "got %T, want a *tls.Conn inside the tunnel", c.NetConn())
	assert.Equal(t, "example.com", tc.ConnectionState().ServerName)
	assert.Equal(t, "example.com", <-sni, "the SNI the server received")

	ctx := context.Background()
	require.NoError(t, c.Write(ctx, MessageText, []byte("tls in the tunnel")))
	_, p, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tls in the tunnel", string(p))
	require.NoError(t, c.Close(StatusNormalClosure, ""))
}

func TestDialProxyWithoutUserInfo(t *testing.T) {
	proxy := newConnectProxy(t, "")
	target := echoServer(t)
	c, _, err := dialTest(t, target.URL, &DialOptions{
		Proxy: func(*http.Request) (*url.URL, error) { return proxy.url(nil), nil },
	})
	require.NoError(t, err)
	c.CloseNow()
	_, _, auth := proxy.seen()
	assert.Empty(t, auth)
}

func TestDialProxyAuthRequired(t *testing.T) {
	proxy := newConnectProxy(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("bob:right")))
	target := echoServer(t)
	_, resp, err := dialTest(t, target.URL+"/?token=qTOKENq", &DialOptions{
		Proxy: func(*http.Request) (*url.URL, error) {
			return proxy.url(url.UserPassword("bob", "wRONGw")), nil
		},
	})
	var pae *ProxyAuthError
	require.ErrorAs(t, err, &pae, "a 407 is its own typed error")
	assert.Equal(t, http.StatusProxyAuthRequired, pae.StatusCode)
	var pe *ProxyError
	assert.False(t, errors.As(err, &pe))
	assert.Nil(t, resp)
	var he *HandshakeError
	assert.False(t, errors.As(err, &he), "a proxy's refusal is not the server's")
	for _, secret := range []string{"wRONGw", "qTOKENq", "bob"} {
		assert.NotContains(t, err.Error(), secret)
	}
}

func TestDialProxyFunctionError(t *testing.T) {
	// An error that quotes a proxy URL, as http.ProxyFromEnvironment's do.
	errProxy := errors.New(`invalid proxy address "http://bob:s3cret@proxy:x"`)
	_, _, err := dialTest(t, "ws://127.0.0.1:1/", &DialOptions{
		Proxy: func(*http.Request) (*url.URL, error) { return nil, errProxy },
	})
	require.ErrorIs(t, err, errProxy)
	assert.NotContains(t, err.Error(), "s3cret")
}

func TestDialProxyUnsupportedScheme(t *testing.T) {
	for _, scheme := range []string{"ftp", "socks4", "socks"} {
		t.Run(scheme, func(t *testing.T) {
			_, _, err := dialTest(t, "ws://127.0.0.1:1/", &DialOptions{
				Proxy: func(*http.Request) (*url.URL, error) {
					return &url.URL{Scheme: scheme, Host: "127.0.0.1:1"}, nil
				},
				NetDialContext: func(context.Context, string, string) (net.Conn, error) {
					t.Error("dialed an unsupported proxy")
					return nil, errors.New("unreachable")
				},
			})
			require.ErrorIs(t, err, ErrInvalidURL)
		})
	}
}

func TestDialProxyTalksAfterConnect(t *testing.T) {
	// A broken proxy that sends bytes of its own after the 200: they would
	// be mistaken for the server's, so Dial must refuse the tunnel.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		buf := make([]byte, 1024)
		_, _ = nc.Read(buf)
		_, _ = io.WriteString(nc, "HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n")
		drainUntilClosed(nc)
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	_, _, err = dialTest(t, "ws://127.0.0.1:1/", &DialOptions{
		Proxy: func(*http.Request) (*url.URL, error) { return &url.URL{Scheme: "http", Host: ln.Addr().String()}, nil },
	})
	require.ErrorIs(t, err, ErrMalformedResponse)
}
