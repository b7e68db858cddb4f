package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tlsServer is an httptest TLS server that upgrades every request with
// Accept and echoes one message. Its TLS config also offers h2, which Dial
// must refuse for the upgrade to work.
func tlsServer(t *testing.T) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(echoOnce))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failing-verification test makes it complain
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// echoOnce upgrades the request, echoes one message and closes.
func echoOnce(w http.ResponseWriter, r *http.Request) {
	c, err := Accept(w, r, &AcceptOptions{Subprotocols: []string{"echo"}})
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := context.Background()
	typ, p, err := c.Read(ctx)
	if err != nil {
		return
	}
	if err := c.Write(ctx, typ, p); err != nil {
		return
	}
	_ = c.Close(StatusNormalClosure, "")
}

func TestDialTLS(t *testing.T) {
	srv := tlsServer(t)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	cfg := &tls.Config{RootCAs: pool, NextProtos: []string{"h2"}}
	c, _, err := dialTest(t, srv.URL, &DialOptions{TLSConfig: cfg, Subprotocols: []string{"echo"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"h2"}, cfg.NextProtos, "the caller's config is cloned, not changed")
	assert.Empty(t, cfg.ServerName)

	tc, ok := c.NetConn().(*tls.Conn)
	require.True(t, ok, "a wss connection runs over TLS")
	assert.Equal(t, "http/1.1", tc.ConnectionState().NegotiatedProtocol)

	ctx := context.Background()
	require.NoError(t, c.Write(ctx, MessageText, []byte("over tls")))
	_, p, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "over tls", string(p))
	var ce *CloseError
	_, _, err = c.Read(ctx)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, StatusNormalClosure, ce.Code)
}

func TestDialTLSVerifiesByDefault(t *testing.T) {
	srv := tlsServer(t)
	_, _, err := dialTest(t, srv.URL, nil)
	var cve *tls.CertificateVerificationError
	require.ErrorAs(t, err, &cve)
	var uae x509.UnknownAuthorityError
	require.ErrorAs(t, err, &uae)
}

func TestDialTLSWrongServerName(t *testing.T) {
	srv := tlsServer(t)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	_, _, err := dialTest(t, srv.URL, &DialOptions{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "other.example"}})
	var hie x509.HostnameError
	require.ErrorAs(t, err, &hie)
}

// TestDialOptionsReachConn checks that each option that sizes or times the
// connection arrives in the Conn, and that NetDialContext is the dialer.
func TestDialOptionsReachConn(t *testing.T) {
	url := scriptServer(t, respond(func(req *http.Request) string { return upgradeResponse(req) }))
	dialed := make(chan string, 1)
	pinged := false
	opts := &DialOptions{
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialed <- network + " " + addr
			return new(net.Dialer).DialContext(ctx, network, addr)
		},
		ReadLimit:       1234,
		WriteBufferSize: 8192,
		WriteTimeout:    3 * time.Second,
		CloseTimeout:    2 * time.Second,
		OnPing:          func([]byte) { pinged = true },
		OnPong:          func([]byte) {},
	}
	c, _, err := dialTest(t, url, opts)
	require.NoError(t, err)
	assert.Equal(t, "tcp "+strings.TrimPrefix(url, "ws://"), <-dialed)
	assert.True(t, c.client)
	assert.Equal(t, int64(1234), c.rd.limit.Load())
	assert.Equal(t, 8192, c.wr.size)
	assert.Equal(t, 3*time.Second, c.writeTimeout)
	assert.Equal(t, 2*time.Second, c.closeTimeout)
	require.NotNil(t, c.onPing)
	require.NotNil(t, c.onPong)
	c.onPing(nil)
	assert.True(t, pinged)

	d, _, err := dialTest(t, url, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(DefaultReadLimit), d.rd.limit.Load())
	assert.Equal(t, DefaultCloseTimeout, d.closeTimeout)
	assert.Zero(t, d.writeTimeout)
}
