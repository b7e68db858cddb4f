package otel_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// states feeds a Client's state changes to a test.
type states chan client.StateChange

func (s states) record(ch client.StateChange) { s <- ch }

// waitConnected waits for the change to Connected of connection n.
func (s states) waitConnected(t *testing.T, ctx context.Context, n uint64) {
	t.Helper()
	for {
		select {
		case ch := <-s:
			if ch.To == client.Connected && ch.Conn == n {
				return
			}
			require.False(t, ch.To.Final(), "session ended: %v", ch.Cause)
		case <-ctx.Done():
			require.FailNow(t, "connection never came up", "connection %d", n)
		}
	}
}

// waitLost waits for the live connection's end.
func (s states) waitLost(t *testing.T, ctx context.Context) {
	t.Helper()
	for {
		select {
		case ch := <-s:
			if ch.From == client.Connected {
				require.False(t, ch.To.Final(), "session ended: %v", ch.Cause)
				return
			}
		case <-ctx.Done():
			require.FailNow(t, "the connection was never lost")
		}
	}
}

// TestScriptedSession runs a session through connect, an abnormal drop
// (a message queued meanwhile expires), a 1012 restart with messages
// queued meanwhile (one overflows the queue), the replay and Close, and checks that the manual reader and
// the span recorder hold exactly the data points and spans it implies.
func TestScriptedSession(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	host, port, err := net.SplitHostPort(srv.Addr().String())
	require.NoError(t, err)
	s := newSDK(t, attribute.String("sturdy.client.name", "orders"))
	st := make(states, 64)
	c, err := client.Start(ctx, client.Options{
		URL:              srv.URL() + "/feed?token=secret",
		Observer:         s.obs,
		OnStateChange:    st.record,
		OnConnect:        func(context.Context, *transport.Conn) error { return nil },
		Backoff:          backoff.NewConstantBackOff(time.Millisecond),
		DisableHeartbeat: true, // no pings: the data points are exact
		QueueOptions:     queue.Options{MaxMessages: 2, Overflow: queue.DropNewest},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	// 1: connect, one message each way.
	st.waitConnected(t, ctx, 1)
	_, err = c.Send(ctx, transport.MessageText, []byte("hello"))
	require.NoError(t, err)
	m, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello", string(m.Payload))
	require.NoError(t, c.Flush(ctx))

	// 2: the connection drops without a close frame (1006); while the
	// server is away, a message waits that expires before it is back.
	srv.StallHandshakes()
	require.NoError(t, srv.Drop(1))
	st.waitLost(t, ctx)
	_, err = c.SendMessage(ctx, client.Message{Type: transport.MessageBinary, Payload: []byte("stale"), MaxAge: time.Nanosecond})
	require.NoError(t, err)
	srv.ReleaseHandshakes()
	st.waitConnected(t, ctx, 2)

	// 3: the server restarts (1012) and comes back only once two
	// messages wait to be replayed; a third overflows the queue.
	srv.StallHandshakes()
	require.NoError(t, srv.CloseConn(2, transport.StatusServiceRestart, "restart"))
	st.waitLost(t, ctx)
	for _, p := range []string{"one", "three"} {
		_, err := c.Send(ctx, transport.MessageBinary, []byte(p))
		require.NoError(t, err)
	}
	_, err = c.Send(ctx, transport.MessageBinary, []byte("four"))
	require.ErrorIs(t, err, queue.ErrDropped)
	srv.ReleaseHandshakes()
	st.waitConnected(t, ctx, 3)
	for _, want := range []string{"one", "three"} {
		m, err := c.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, want, string(m.Payload))
	}
	require.NoError(t, c.Flush(ctx))
	require.ErrorIs(t, c.Close(), client.ErrUndelivered, "the expired and the overflowed message")

	base := "network.protocol.name=websocket,sturdy.client.name=orders"
	server := "server.address=" + host + ",server.port=" + port
	assert.Equal(t, []string{
		"sturdy.client.connect.duration{network.protocol.name=websocket," + server + ",sturdy.client.name=orders} count=3",
		"sturdy.client.dead_letters{" + base + ",sturdy.dead_letter.reason=expired} 1",
		"sturdy.client.dead_letters{" + base + ",sturdy.dead_letter.reason=overflow} 1",
		"sturdy.client.inbound.depth{" + base + "} 0",
		"sturdy.client.inbound.dropped{" + base + "} 0",
		"sturdy.client.inbound.size{" + base + "} 0",
		"sturdy.client.io{network.io.direction=receive," + base + "} 13",
		"sturdy.client.io{network.io.direction=transmit," + base + "} 13",
		"sturdy.client.messages{network.io.direction=receive," + base + "} 3",
		"sturdy.client.messages{network.io.direction=transmit," + base + "} 3",
		"sturdy.client.queue.depth{" + base + "} 0",
		"sturdy.client.queue.size{" + base + "} 0",
		"sturdy.client.reconnects{error.type=abnormal_closure,network.protocol.name=websocket," + server + ",sturdy.client.name=orders,sturdy.close.code=1006} 1",
		"sturdy.client.reconnects{error.type=server_close,network.protocol.name=websocket," + server + ",sturdy.client.name=orders,sturdy.close.code=1012} 1",
		"sturdy.client.replay.delay{" + base + "} count=1",
		"sturdy.client.state{" + base + ",sturdy.client.state=closed} 1",
		"sturdy.client.state{" + base + ",sturdy.client.state=connected} 0",
		"sturdy.client.state{" + base + ",sturdy.client.state=connecting} 0",
		"sturdy.client.state{" + base + ",sturdy.client.state=failed} 0",
		"sturdy.client.state{" + base + ",sturdy.client.state=reconnecting} 0",
	}, s.points(t))

	attempt := "network.protocol.name=websocket," + server + ",sturdy.client.name=orders,url.scheme=ws"
	conn := func(n int) string {
		return "network.protocol.name=websocket," + server + ",sturdy.client.name=orders,sturdy.connection.ordinal=" + strconv.Itoa(n)
	}
	var got []string
	for _, sp := range s.spans.Ended() {
		got = append(got, spanLine(sp, "sturdy.replay.down"))
	}
	steps := []string{"sturdy.dial{} Unset", "sturdy.handshake{} Unset", "sturdy.on_connect{} Unset"}
	var want []string
	for n := 1; n <= 3; n++ {
		want = append(want, steps...)
		want = append(want, "sturdy.connect{"+attempt+"} Unset")
		switch n {
		case 1:
			want = append(want, "sturdy.connection{"+conn(1)+"} Error +sturdy.drop{error.type=abnormal_closure,sturdy.close.code=1006}")
		case 2:
			want = append(want, "sturdy.connection{"+conn(2)+"} Unset +sturdy.drop{error.type=server_close,sturdy.close.code=1012}")
		case 3:
			want = append(want, "sturdy.connection{"+conn(3)+"} Unset +sturdy.replay{sturdy.replay.bytes=8,sturdy.replay.messages=2}")
		}
	}
	assert.Equal(t, want, got)

	// Each attempt's steps are its children, in order and within it;
	// each connection links to its attempt.
	ended := s.spans.Ended()
	for i := 0; i < len(ended); i += 5 {
		parent := ended[i+3]
		prevEnd := parent.StartTime()
		for _, child := range ended[i : i+3] {
			assert.Equal(t, parent.SpanContext().SpanID(), child.Parent().SpanID(), "%s's parent", child.Name())
			assert.False(t, child.StartTime().Before(prevEnd), "%s starts after the step before", child.Name())
			assert.False(t, child.EndTime().After(parent.EndTime()))
			prevEnd = child.EndTime()
		}
		connSpan := ended[i+4]
		require.Len(t, connSpan.Links(), 1)
		assert.Equal(t, parent.SpanContext().SpanID(), connSpan.Links()[0].SpanContext.SpanID())
		assert.Equal(t, parent.EndTime(), connSpan.StartTime(), "the connection begins as its attempt ends")
	}
}
