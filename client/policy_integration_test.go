package client_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestReconnectPolicy runs one row of the reconnect policy table (see
// DefaultShouldReconnect) per case against a real server: the first
// connection or attempt ends the way the row says, and the test checks
// whether the session reconnected or ended, in which state, with which cause.
func TestReconnectPolicy(t *testing.T) {
	closeRule := func(code transport.StatusCode) []wstest.Rule {
		return []wstest.Rule{{Conn: 1, Do: wstest.CloseWith(code, "policy test")}}
	}
	isClose := func(code transport.StatusCode) func(error) bool {
		return func(err error) bool { return transport.CloseStatus(err) == code }
	}
	isStatus := func(status int) func(error) bool {
		return func(err error) bool {
			var he *transport.HandshakeError
			return errors.As(err, &he) && he.StatusCode == status
		}
	}
	isProtocol := func(code transport.StatusCode) func(error) bool {
		return func(err error) bool {
			var pe *transport.ProtocolError
			return errors.As(err, &pe) && pe.Code == code
		}
	}
	rsv1 := wstest.Frame(transport.Header{Fin: true, Rsv: 0x4, Opcode: transport.OpText, Length: 2}, []byte("hi"))

	tests := []struct {
		name      string
		script    []wstest.Rule
		reject    int // status for the first handshake
		opts      func(*client.Options)
		reconnect bool             // true: a second connection follows; false: Failed
		cause     func(error) bool // the cause of the Reconnecting or Failed change
		attempts  int              // handshakes the server must see before Failed (default 1)
	}{
		{name: "drop without close frame is 1006", script: []wstest.Rule{{Conn: 1, Do: wstest.Drop()}}, reconnect: true, cause: isClose(transport.StatusAbnormalClosure)},
		{name: "TCP reset is 1006", script: []wstest.Rule{{Conn: 1, Do: wstest.Reset()}}, reconnect: true, cause: isClose(transport.StatusAbnormalClosure)},
		{name: "close 1001", script: closeRule(1001), reconnect: true, cause: isClose(1001)},
		{name: "close 1011", script: closeRule(1011), reconnect: true, cause: isClose(1011)},
		{name: "close 1012", script: closeRule(1012), reconnect: true, cause: isClose(1012)},
		{name: "close 1013", script: closeRule(1013), reconnect: true, cause: isClose(1013)},
		{name: "close 1014", script: closeRule(1014), reconnect: true, cause: isClose(1014)},
		{name: "close 1000 fails", script: closeRule(1000), cause: isClose(1000)},
		{name: "close 1000 reconnects when configured", script: closeRule(1000), opts: func(o *client.Options) { o.ReconnectOnNormalClosure = true }, reconnect: true, cause: isClose(1000)},
		{name: "close 1002", script: closeRule(1002), cause: isClose(1002)},
		{name: "close 1003", script: closeRule(1003), cause: isClose(1003)},
		{name: "close 1007", script: closeRule(1007), cause: isClose(1007)},
		{name: "close 1008", script: closeRule(1008), cause: isClose(1008)},
		{name: "close 1009", script: closeRule(1009), cause: isClose(1009)},
		{name: "close 1010", script: closeRule(1010), cause: isClose(1010)},
		{name: "close 3000", script: closeRule(3000), cause: isClose(3000)},
		{name: "close 4000", script: closeRule(4000), cause: isClose(4000)},
		{name: "close 4999", script: closeRule(4999), cause: isClose(4999)},
		{name: "protocol violation by server fails with 1002", script: []wstest.Rule{{Conn: 1, Do: wstest.Raw(rsv1)}}, cause: isProtocol(transport.StatusProtocolError)},
		{name: "handshake 400", reject: 400, cause: isStatus(400)},
		{name: "handshake 401 after one fresh retry", reject: 401, cause: isStatus(401), attempts: 2},
		{name: "handshake 403 after one fresh retry", reject: 403, cause: isStatus(403), attempts: 2},
		{name: "handshake 404", reject: 404, cause: isStatus(404)},
		{name: "handshake 408", reject: 408, reconnect: true, cause: isStatus(408)},
		{name: "handshake 429", reject: 429, reconnect: true, cause: isStatus(429)},
		{name: "handshake 500", reject: 500, reconnect: true, cause: isStatus(500)},
		{name: "handshake 502", reject: 502, reconnect: true, cause: isStatus(502)},
		{name: "handshake 503", reject: 503, reconnect: true, cause: isStatus(503)},
		{
			name:      "OnConnect failure drops and retries",
			opts:      func(o *client.Options) { o.OnConnect = failFirst() },
			reconnect: true,
			cause: func(err error) bool {
				var oe *client.OnConnectError
				return errors.As(err, &oe)
			},
		},
		{
			name:      "heartbeat timeout is 1006",
			script:    []wstest.Rule{{Conn: 1, Do: wstest.Stall()}},
			opts:      func(o *client.Options) { o.Heartbeat = fastHeartbeat() },
			reconnect: true,
			cause: func(err error) bool {
				return transport.CloseStatus(err) == transport.StatusAbnormalClosure && errors.Is(err, heartbeat.ErrDead)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			srv := wstest.Start(t, wstest.Options{Script: tt.script})
			if tt.reject != 0 {
				n := 1
				if tt.attempts > 1 {
					n = tt.attempts
				}
				srv.RejectNext(n, tt.reject, nil)
			}
			rec := newRecorder()
			o := client.Options{URL: srv.URL(), Backoff: fastBackoff()}
			if tt.opts != nil {
				tt.opts(&o)
			}
			c := start(t, ctx, rec, o)

			if tt.reconnect {
				ch := rec.waitFirst(t, ctx, client.Reconnecting, client.Failed)
				require.Equal(t, client.Reconnecting, ch.To, "cause: %v", ch.Cause)
				assert.True(t, tt.cause(ch.Cause), "cause of Reconnecting: %v", ch.Cause)
				require.NoError(t, srv.WaitAccepted(ctx, 2-boolInt(tt.reject != 0)))
				require.NoError(t, c.WaitConnected(ctx))
				require.NoError(t, c.Close())
				last := rec.waitState(t, ctx, client.Closed)
				assert.ErrorIs(t, last.Cause, client.ErrClosed)
				return
			}
			ch := rec.waitState(t, ctx, client.Failed)
			if tt.attempts <= 1 {
				assert.Equal(t, -1, indexOf(rec.snapshot(), client.Reconnecting, 1), "no reconnect before Failed")
			}
			assert.True(t, tt.cause(ch.Cause), "cause of Failed: %v", ch.Cause)
			assert.Equal(t, client.Failed, c.State())
			err := c.WaitConnected(ctx)
			assert.ErrorIs(t, err, client.ErrFailed)
			assert.True(t, tt.cause(err), "end error %v must wrap the cause", err)
			_, err = c.Send(ctx, transport.MessageText, []byte("late"))
			assert.ErrorIs(t, err, client.ErrFailed)
			want := max(tt.attempts, 1)
			assert.Equal(t, want, srv.Snapshot().Attempts(), "handshake attempts before Failed")
			require.NoError(t, c.Close())
		})
	}
}

// TestReconnectPolicyDialError: nothing listens, the attempt fails with a
// dial error, which is retried by default and final with FailFirstAttempt.
func TestReconnectPolicyDialError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "ws://" + ln.Addr().String() + "/"
	require.NoError(t, ln.Close())

	t.Run("retried", func(t *testing.T) {
		ctx := testCtx(t)
		rec := newRecorder()
		c := start(t, ctx, rec, client.Options{URL: url, Backoff: fastBackoff()})
		changes := rec.waitFor(t, ctx, func(cs []client.StateChange) bool { return indexOf(cs, client.Reconnecting, 3) >= 0 })
		var oe *net.OpError
		assert.ErrorAs(t, changes[indexOf(changes, client.Reconnecting, 1)].Cause, &oe)
		require.NoError(t, c.Close())
		assert.Equal(t, client.Closed, c.State())
	})
	t.Run("final with FailFirstAttempt", func(t *testing.T) {
		ctx := testCtx(t)
		rec := newRecorder()
		c := start(t, ctx, rec, client.Options{URL: url, Backoff: fastBackoff(), FailFirstAttempt: true})
		ch := rec.waitState(t, ctx, client.Failed)
		var oe *net.OpError
		assert.ErrorAs(t, ch.Cause, &oe)
		assert.ErrorIs(t, c.WaitConnected(ctx), client.ErrFailed)
	})
}

// TestCloseAndCancelEndClosed: Close and Start's context both end the
// session as Closed, without reconnecting, and the server sees a 1000.
func TestCloseAndCancelEndClosed(t *testing.T) {
	for _, byCancel := range []bool{false, true} {
		name := map[bool]string{false: "Close", true: "context cancel"}[byCancel]
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			srv := wstest.Start(t, wstest.Options{})
			rec := newRecorder()
			sctx, cancel := context.WithCancel(ctx)
			defer cancel()
			c := start(t, sctx, rec, client.Options{URL: srv.URL(), Backoff: fastBackoff()})
			require.NoError(t, c.WaitConnected(ctx))
			if byCancel {
				cancel()
			} else {
				require.NoError(t, c.Close())
			}
			ch := rec.waitState(t, ctx, client.Closed)
			if byCancel {
				assert.ErrorIs(t, ch.Cause, context.Canceled)
			} else {
				assert.ErrorIs(t, ch.Cause, client.ErrClosed)
			}
			require.NoError(t, c.Close())
			require.NoError(t, srv.WaitFor(ctx, func(s wstest.Snapshot) bool { return s.Live == 0 }))
			snap := srv.Snapshot()
			assert.Equal(t, 1, snap.Accepted(), "no reconnect after Close")
			assert.Equal(t, transport.StatusNormalClosure, transport.CloseStatus(snap.Conns[0].Err), "server saw %v", snap.Conns[0].Err)
			_, err := c.Send(ctx, transport.MessageText, []byte("x"))
			assert.ErrorIs(t, err, client.ErrClosed)
		})
	}
}

// failFirst returns an OnConnect hook that fails on the first connection
// only.
func failFirst() func(context.Context, *transport.Conn) error {
	calls := 0 // OnConnect runs on the supervisor goroutine, one call at a time
	return func(context.Context, *transport.Conn) error {
		calls++
		if calls == 1 {
			return errors.New("subscribe refused")
		}
		return nil
	}
}

// fastHeartbeat detects a dead peer within a fraction of a second.
func fastHeartbeat() heartbeat.Options {
	return heartbeat.Options{Interval: 50 * time.Millisecond, Timeout: 150 * time.Millisecond}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestInvalidURLFails: a URL that cannot be dialled ends the session at
// once instead of being retried forever.
func TestInvalidURLFails(t *testing.T) {
	ctx := testCtx(t)
	rec := newRecorder()
	start(t, ctx, rec, client.Options{URL: "ftp://example.com/feed", Backoff: fastBackoff()})
	ch := rec.waitFirst(t, ctx, client.Failed, client.Reconnecting)
	require.Equal(t, client.Failed, ch.To, "cause %v", ch.Cause)
	require.ErrorIs(t, ch.Cause, transport.ErrInvalidURL)
}
