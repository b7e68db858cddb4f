package wstest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestEcho checks that Echo returns each message with its type.
func TestEcho(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Routes: map[string]wstest.Behavior{"/echo": wstest.Echo()}})
	c := dial(t, srv, "/echo", nil)
	ctx := testCtx(t)
	for _, tt := range []struct {
		typ transport.MessageType
		p   []byte
	}{
		{transport.MessageText, []byte("hello")},
		{transport.MessageBinary, []byte{0, 1, 2, 0xff}},
		{transport.MessageText, []byte{}},
	} {
		require.NoError(t, c.Write(ctx, tt.typ, tt.p))
		typ, p, err := c.Read(ctx)
		require.NoError(t, err)
		assert.Equal(t, tt.typ, typ)
		assert.Equal(t, tt.p, p)
	}
	assert.Equal(t, 3, srv.Snapshot().Sent)
}

// TestRequireHeader refuses a handshake without the right header with 401
// and accepts the one with it, as token refresh needs.
func TestRequireHeader(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Compose(
		wstest.RequireHeader("Authorization", "Bearer fresh"),
		wstest.Echo(),
	)})
	for _, opts := range []*transport.DialOptions{nil, withHeader("Authorization", "Bearer stale")} {
		var he *transport.HandshakeError
		require.ErrorAs(t, dialErr(t, srv, "/", opts), &he)
		assert.Equal(t, http.StatusUnauthorized, he.StatusCode)
	}
	c := dial(t, srv, "/", withHeader("Authorization", "Bearer fresh"))
	write(t, c, "in")
	assert.Equal(t, "in", read(t, c))

	snap := srv.Snapshot()
	require.Equal(t, 3, snap.Attempts())
	assert.Equal(t, []int{401, 401, 101}, []int{snap.Handshakes[0].Status, snap.Handshakes[1].Status, snap.Handshakes[2].Status})
	assert.Empty(t, snap.Handshakes[0].Header.Get("Authorization"))
	assert.Equal(t, "Bearer stale", snap.Handshakes[1].Header.Get("Authorization"))
	assert.Equal(t, "Bearer fresh", snap.Handshakes[2].Header.Get("Authorization"))
	assert.Equal(t, 3, snap.Conns[0].Attempt)
}

// TestAuthorize checks a token function that accepts a changing set.
func TestAuthorize(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Authorize(func(r *http.Request) bool {
		return r.URL.Query().Get("token") == "t2"
	})})
	var he *transport.HandshakeError
	require.ErrorAs(t, dialErr(t, srv, "/?token=t1", nil), &he)
	assert.Equal(t, http.StatusUnauthorized, he.StatusCode)
	dial(t, srv, "/?token=t2", nil)
}

// TestRoutes checks per-path behaviours, the default for other paths,
// Refuse, and Handle replacing a route for later handshakes.
func TestRoutes(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{
		Routes: map[string]wstest.Behavior{
			"/echo": wstest.Echo(),
			"/gone": wstest.Refuse(http.StatusNotFound, nil),
			"/busy": wstest.Refuse(http.StatusServiceUnavailable, http.Header{"Retry-After": {"7"}}),
		},
		Default: wstest.Sink(func(wstest.Message) []byte { return []byte("default") }),
	})
	c := dial(t, srv, "/echo", nil)
	write(t, c, "x")
	assert.Equal(t, "x", read(t, c))

	d := dial(t, srv, "/elsewhere", nil)
	write(t, d, "x")
	assert.Equal(t, "default", read(t, d))

	var he *transport.HandshakeError
	require.ErrorAs(t, dialErr(t, srv, "/gone", nil), &he)
	assert.Equal(t, http.StatusNotFound, he.StatusCode)
	require.ErrorAs(t, dialErr(t, srv, "/busy", nil), &he)
	assert.Equal(t, http.StatusServiceUnavailable, he.StatusCode)
	assert.Equal(t, "7", he.Header.Get("Retry-After"))

	srv.Handle("/gone", wstest.Echo())
	e := dial(t, srv, "/gone", nil)
	write(t, e, "back")
	assert.Equal(t, "back", read(t, e))
	// The connection opened before keeps its behaviour.
	write(t, c, "still echo")
	assert.Equal(t, "still echo", read(t, c))
}

// TestByConnection gives one connection, by ordinal, its own behaviour,
// while the route's Check still decides every handshake.
func TestByConnection(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{
		Default:      wstest.Compose(wstest.RequireHeader("X-Key", "k"), wstest.Echo()),
		ByConnection: map[int]wstest.Behavior{2: wstest.Sink(func(wstest.Message) []byte { return []byte("second") })},
	})
	srv.HandleConn(3, wstest.Stream(wstest.StreamOptions{Count: 1}))

	require.Error(t, dialErr(t, srv, "/", nil), "Check applies to all")
	opts := withHeader("X-Key", "k")
	c1, c2, c3 := dial(t, srv, "/", opts), dial(t, srv, "/", opts), dial(t, srv, "/", opts)
	write(t, c1, "one")
	assert.Equal(t, "one", read(t, c1))
	write(t, c2, "two")
	assert.Equal(t, "second", read(t, c2))
	assert.Equal(t, []uint64{1}, seqs(t, c3, 1))
}

// TestCompose checks that composed behaviours all run: two Opens at once,
// Message hooks in order.
func TestCompose(t *testing.T) {
	var order []string
	hook := func(name string) wstest.Behavior {
		return wstest.Behavior{Message: func(_ context.Context, _ *wstest.Conn, m wstest.Message) {
			order = append(order, name+":"+string(m.Data))
		}}
	}
	srv := wstest.Start(t, wstest.Options{Default: wstest.Compose(
		wstest.Stream(wstest.StreamOptions{Count: 2}),
		wstest.Stream(wstest.StreamOptions{Count: 2, Binary: true}),
		hook("a"),
		hook("b"),
	)})
	c := dial(t, srv, "/", nil)
	ctx := testCtx(t)
	var text, binary int
	for range 4 {
		typ, _, err := c.Read(ctx)
		require.NoError(t, err)
		if typ == transport.MessageText {
			text++
		} else {
			binary++
		}
	}
	assert.Equal(t, 2, text)
	assert.Equal(t, 2, binary)

	write(t, c, "m")
	write(t, c, "n")
	require.NoError(t, c.Close(transport.StatusNormalClosure, ""))
	// Once the connection has ended, every hook has returned.
	require.NoError(t, srv.WaitLive(ctx, 0))
	assert.Equal(t, []string{"a:m", "b:m", "a:n", "b:n"}, order)
}

// TestConnAccessors checks what a Behavior hook sees of its connection.
func TestConnAccessors(t *testing.T) {
	type seen struct {
		ordinal int
		path    string
		header  string
	}
	got := make(chan seen, 1)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Behavior{
		Open: func(ctx context.Context, c *wstest.Conn) {
			h := c.Header()
			h.Set("X-Test", "changed") // a copy: the record keeps the original
			got <- seen{c.Ordinal(), c.Path(), c.Header().Get("X-Test")}
		},
	}})
	dial(t, srv, "/p", withHeader("X-Test", "v"))
	s := <-got
	assert.Equal(t, seen{1, "/p", "v"}, s)
}
