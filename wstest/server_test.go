package wstest_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestCloseStopsEverything puts the server in every state that owns a
// goroutine or a socket (live connections reading and writing, a writer
// blocked on a client that does not read, a stall, a closing handshake the
// client never answers, held handshakes, a TCP connection that never sends
// its request, a behaviour waiting on its context) and checks that Close
// ends all of it.
func TestCloseStopsEverything(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	blocked := make(chan struct{})
	srv, err := wstest.NewServer(wstest.Options{
		Routes: map[string]wstest.Behavior{
			"/echo":   wstest.Echo(),
			"/flood":  wstest.Stream(wstest.StreamOptions{Size: 64 << 10}),
			"/stall":  wstest.Echo(),
			"/close":  wstest.Echo(),
			"/held":   wstest.Echo(),
			"/script": wstest.Echo(),
			"/open": {Open: func(ctx context.Context, _ *wstest.Conn) {
				close(blocked)
				<-ctx.Done()
			}},
		},
		Script: []wstest.Rule{{Path: "/script", After: 1 << 40}},
	})
	require.NoError(t, err)
	ctx := testCtx(t)
	open := func(path string) *transport.Conn {
		c, _, err := transport.Dial(ctx, srv.URL()+path, nil)
		require.NoError(t, err)
		return c
	}
	var clients []*transport.Conn
	defer func() {
		for _, c := range clients {
			_ = c.CloseNow()
		}
	}()

	echo := open("/echo")
	clients = append(clients, echo, open("/flood"), open("/stall"), open("/close"), open("/open"), open("/script"))
	write(t, echo, "hi")
	require.Equal(t, "hi", read(t, echo))
	<-blocked
	require.NoError(t, srv.WaitFor(ctx, func(s wstest.Snapshot) bool { return s.Conns[1].Sent > 0 }))
	require.NoError(t, srv.Stall(3))
	// Nobody reads /close: the server waits for its close frame in vain.
	require.NoError(t, srv.CloseConn(4, 1001, ""))

	srv.StallHandshakes()
	heldErr := make(chan error, 1)
	go func() {
		_, _, err := transport.Dial(ctx, srv.URL()+"/held", nil)
		heldErr <- err
	}()
	silent, err := net.Dial("tcp", srv.Addr().String())
	require.NoError(t, err)
	defer silent.Close()
	require.NoError(t, srv.WaitHandshakes(ctx, 7))

	var wg sync.WaitGroup
	for range 3 {
		wg.Go(srv.Close) // concurrent calls all wait
	}
	wg.Wait()
	srv.Close() // and later ones return at once

	require.Error(t, <-heldErr)
	_, err = readUntilErr(t, echo)
	assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(err))
	snap := srv.Snapshot()
	assert.Zero(t, snap.Live)
	for _, c := range snap.Conns {
		assert.False(t, c.Live)
	}
	_, _, err = transport.Dial(ctx, srv.URL(), nil)
	assert.Error(t, err, "the listener must be closed")
}

// TestStartClosesWithTest checks that Start closes the server when the
// test that started it ends.
func TestStartClosesWithTest(t *testing.T) {
	var srv *wstest.Server
	t.Run("inner", func(t *testing.T) {
		srv = wstest.Start(t, wstest.Options{Default: wstest.Echo()})
		dial(t, srv, "/", nil)
	})
	assert.ErrorIs(t, srv.Drop(1), wstest.ErrServerClosed)
	assert.Zero(t, srv.Snapshot().Live)
}

// TestURL checks the address forms, IPv4 by default and IPv6 on request.
func TestURL(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	assert.True(t, strings.HasPrefix(srv.URL(), "ws://127.0.0.1:"), srv.URL())
	assert.Equal(t, "ws://"+srv.Addr().String(), srv.URL())

	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	_ = ln.Close()
	srv6 := wstest.Start(t, wstest.Options{IPv6: true, Default: wstest.Echo()})
	assert.True(t, strings.HasPrefix(srv6.URL(), "ws://[::1]:"), srv6.URL())
	c := dial(t, srv6, "/", nil)
	write(t, c, "v6")
	assert.Equal(t, "v6", read(t, c))
}

// TestSubprotocols checks that the server picks an offered subprotocol.
func TestSubprotocols(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Subprotocols: []string{"feed.v2", "feed.v1"}})
	c := dial(t, srv, "/", &transport.DialOptions{Subprotocols: []string{"feed.v1", "feed.v2"}})
	assert.Equal(t, "feed.v2", c.Subprotocol())
}

// TestCompression checks that a server with Compression negotiates
// permessage-deflate and echoes compressed messages intact.
func TestCompression(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo(),
		Compression: &transport.CompressionOptions{ServerNoContextTakeover: true}})
	c := dial(t, srv, "/echo", &transport.DialOptions{Compression: &transport.CompressionOptions{}})
	p, ok := c.Compression()
	require.True(t, ok)
	assert.True(t, p.ServerNoContextTakeover)
	ctx := context.Background()
	for i := range 3 {
		msg := strings.Repeat("compressible ", 100*(i+1))
		require.NoError(t, c.Write(ctx, transport.MessageText, []byte(msg)))
		_, got, err := c.Read(ctx)
		require.NoError(t, err)
		assert.Equal(t, msg, string(got))
	}

	// Without the option the offer is declined.
	plain := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	c = dial(t, plain, "/echo", &transport.DialOptions{Compression: &transport.CompressionOptions{}})
	_, ok = c.Compression()
	assert.False(t, ok)
}

// TestParallelServers checks that servers share nothing: each numbers its
// own connections and messages.
func TestParallelServers(t *testing.T) {
	for i := range 4 {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			srv := wstest.Start(t, wstest.Options{Default: wstest.Stream(wstest.StreamOptions{Count: 3})})
			for range i + 1 {
				dial(t, srv, "/", nil)
			}
			require.NoError(t, srv.WaitFor(testCtx(t), func(s wstest.Snapshot) bool { return s.Sent == 3*(i+1) }))
			assert.Equal(t, i+1, srv.Snapshot().Accepted())
		})
	}
}
