package transport_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// echoOnce is the examples' server side: it echoes one message.
func echoOnce(ctx context.Context, c *transport.Conn) {
	typ, msg, err := c.Read(ctx)
	if err != nil {
		return
	}
	_ = c.Write(ctx, typ, msg)
	_, _, _ = c.Read(ctx) // until the client closes
}

// roundTrip sends hello on c, prints the echo and closes.
func roundTrip(ctx context.Context, c *transport.Conn) {
	if err := c.Write(ctx, transport.MessageText, []byte("hello")); err != nil {
		fmt.Println(err)
		return
	}
	typ, msg, err := c.Read(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(typ, string(msg))
	_ = c.Close(transport.StatusNormalClosure, "")
}

// portOf returns the port of a test server, for the names the examples'
// proxies resolve.
func portOf(srv *httptest.Server) string {
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return port
}

// ExampleDialOptions_socks5 connects through a SOCKS5 proxy that requires
// a username and password. With socks5h:// the proxy resolves the
// server's name (here feed.example.test, a name only the proxy knows);
// socks5:// would resolve it here and send the address. Setting
// ALL_PROXY=socks5h://trader:s3cret@host:1080 does the same without code.
func ExampleDialOptions_socks5() {
	srv := exampleServer(echoOnce)
	defer srv.Close()
	name := "feed.example.test:" + portOf(srv)
	proxy, err := transport.StartExampleProxy("socks5h", "trader", "s3cret", name, srv.Listener.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer proxy.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	proxyURL := &url.URL{Scheme: "socks5h", Host: proxy.URL.Host, User: url.UserPassword("trader", "s3cret")}
	c, _, err := transport.Dial(ctx, "ws://"+name+"/prices", &transport.DialOptions{
		Proxy: http.ProxyURL(proxyURL),
	})
	var pae *transport.ProxyAuthError
	if errors.As(err, &pae) {
		fmt.Println("the proxy refused the credentials") // retrying will not help
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	roundTrip(ctx, c)
	// Output:
	// Text hello
}

// ExampleDialOptions_httpProxy connects through an HTTP proxy with CONNECT
// and Basic authentication, taken from the proxy URL's user info. A 407
// from the proxy is a *ProxyAuthError.
func ExampleDialOptions_httpProxy() {
	srv := exampleServer(echoOnce)
	defer srv.Close()
	name := "feed.example.test:" + portOf(srv)
	proxy, err := transport.StartExampleProxy("http", "trader", "s3cret", name, srv.Listener.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer proxy.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	proxyURL := &url.URL{Scheme: "http", Host: proxy.URL.Host, User: url.UserPassword("trader", "s3cret")}
	c, _, err := transport.Dial(ctx, "ws://"+name+"/prices", &transport.DialOptions{
		Proxy: http.ProxyURL(proxyURL),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	roundTrip(ctx, c)
	// Output:
	// Text hello
}

// ExampleDialOptions_httpsProxy connects to a wss server through an
// HTTPS proxy: TLS to the proxy, verified with ProxyTLSConfig (a
// corporate proxy often has a certificate from a private CA), CONNECT
// with Basic authentication inside that, and TLS to the server, verified
// with TLSConfig, inside the tunnel: the proxy sees neither the messages
// nor the path.
func ExampleDialOptions_httpsProxy() {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := transport.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		echoOnce(context.Background(), c)
	}))
	defer srv.Close()
	name := "example.com:" + portOf(srv) // a name the test server's certificate holds
	proxy, err := transport.StartExampleProxy("https", "trader", "s3cret", name, srv.Listener.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer proxy.Close()
	serverRoots := x509.NewCertPool()
	serverRoots.AddCert(srv.Certificate())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	proxyURL := &url.URL{Scheme: "https", Host: proxy.URL.Host, User: url.UserPassword("trader", "s3cret")}
	c, _, err := transport.Dial(ctx, "wss://"+name+"/prices", &transport.DialOptions{
		Proxy:          http.ProxyURL(proxyURL),
		ProxyTLSConfig: &tls.Config{RootCAs: proxy.Roots},
		TLSConfig:      &tls.Config{RootCAs: serverRoots},
	})
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		fmt.Println("a certificate did not verify:", cve.Err) // the proxy's or the server's
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	roundTrip(ctx, c)
	// Output:
	// Text hello
}

// ExampleClientCertificateFiles authenticates with a client certificate
// that a renewal agent replaces on disk while the program runs: every
// dial, and so every reconnect of a client.Client, presents the files'
// current contents.
func ExampleClientCertificateFiles() {
	opts := &transport.DialOptions{
		TLSConfig: &tls.Config{
			GetClientCertificate: transport.ClientCertificateFiles(
				"/etc/agent/tls/client.crt", "/etc/agent/tls/client.key"),
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := transport.Dial(ctx, "wss://telemetry.example.com/ingest", opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()
}
