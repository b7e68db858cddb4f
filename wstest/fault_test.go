package wstest_test

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestFaultsSeenByClient injects each connection fault, by command, into a
// connection that has just exchanged a message, and checks what a plain
// transport.Conn observes.
func TestFaultsSeenByClient(t *testing.T) {
	closeErr := func(code transport.StatusCode, reason string) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			var ce *transport.CloseError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, code, ce.Code)
			assert.Equal(t, reason, ce.Reason)
		}
	}
	protocolErr := func(code transport.StatusCode) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			var pe *transport.ProtocolError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, code, pe.Code)
			assert.Equal(t, code, transport.CloseStatus(err))
		}
	}
	text := func(p []byte) []byte {
		return wstest.Frame(transport.Header{Fin: true, Opcode: transport.OpText}, p)
	}
	tests := []struct {
		name   string
		inject func(*wstest.Server) error
		check  func(*testing.T, error)
		// server is the close code the server records for the connection.
		server transport.StatusCode
	}{
		{
			name:   "drop",
			inject: func(s *wstest.Server) error { return s.Drop(1) },
			check: func(t *testing.T, err error) {
				assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(err))
				assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
			},
			server: transport.StatusAbnormalClosure,
		},
		{
			name:   "drop all",
			inject: func(s *wstest.Server) error { return one(s.DropAll()) },
			check: func(t *testing.T, err error) {
				assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(err))
			},
			server: transport.StatusAbnormalClosure,
		},
		{
			name:   "reset",
			inject: func(s *wstest.Server) error { return s.Reset(1) },
			check: func(t *testing.T, err error) {
				assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(err))
				assert.ErrorIs(t, err, syscall.ECONNRESET)
			},
			server: transport.StatusAbnormalClosure,
		},
		{
			name:   "reset all",
			inject: func(s *wstest.Server) error { return one(s.ResetAll()) },
			check: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, syscall.ECONNRESET)
			},
			server: transport.StatusAbnormalClosure,
		},
		{
			name:   "close 1000",
			inject: func(s *wstest.Server) error { return s.CloseConn(1, 1000, "bye") },
			check:  closeErr(1000, "bye"),
			server: 1000,
		},
		{
			name:   "close 1001",
			inject: func(s *wstest.Server) error { return one(s.CloseAll(1001, "going away")) },
			check:  closeErr(1001, "going away"),
			server: 1001,
		},
		{
			name:   "close 1011",
			inject: func(s *wstest.Server) error { return s.CloseConn(1, 1011, "") },
			check:  closeErr(1011, ""),
			server: 1011,
		},
		{
			name:   "close 1012",
			inject: func(s *wstest.Server) error { return s.CloseConn(1, transport.StatusServiceRestart, "restart") },
			check:  closeErr(1012, "restart"),
			server: 1012,
		},
		{
			name:   "close 1013",
			inject: func(s *wstest.Server) error { return s.CloseConn(1, transport.StatusTryAgainLater, "busy") },
			check:  closeErr(1013, "busy"),
			server: 1013,
		},
		{
			name:   "close 4001",
			inject: func(s *wstest.Server) error { return s.Inject(1, wstest.CloseWith(4001, "kicked")) },
			check:  closeErr(4001, "kicked"),
			server: 4001,
		},
		{
			name: "raw masked frame",
			inject: func(s *wstest.Server) error {
				return s.SendRaw(1, wstest.Frame(transport.Header{
					Fin: true, Opcode: transport.OpText, Masked: true, Mask: [4]byte{1, 2, 3, 4},
				}, []byte("hi")))
			},
			check:  protocolErr(transport.StatusProtocolError),
			server: transport.StatusProtocolError,
		},
		{
			name:   "raw invalid UTF-8",
			inject: func(s *wstest.Server) error { return s.SendRaw(1, text([]byte{'a', 0xff, 'b'})) },
			check:  protocolErr(transport.StatusInvalidFramePayloadData),
			server: transport.StatusInvalidFramePayloadData,
		},
		{
			name:   "raw close code 1005",
			inject: func(s *wstest.Server) error { return s.SendRaw(1, wstest.CloseFrame(1005, "")) },
			check:  protocolErr(transport.StatusProtocolError),
			server: transport.StatusProtocolError,
		},
		{
			name: "raw reserved opcode",
			inject: func(s *wstest.Server) error {
				return s.SendRaw(1, wstest.Frame(transport.Header{Fin: true, Opcode: 3}, nil))
			},
			check:  protocolErr(transport.StatusProtocolError),
			server: transport.StatusProtocolError,
		},
		{
			name: "raw RSV bit",
			inject: func(s *wstest.Server) error {
				return s.SendRaw(1, wstest.Frame(transport.Header{Fin: true, Rsv: 4, Opcode: transport.OpBinary}, []byte{1}))
			},
			check:  protocolErr(transport.StatusProtocolError),
			server: transport.StatusProtocolError,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
			c := dial(t, srv, "/", nil)
			write(t, c, "before")
			require.Equal(t, "before", read(t, c))

			require.NoError(t, tt.inject(srv))
			msgs, err := readUntilErr(t, c)
			assert.Empty(t, msgs)
			tt.check(t, err)

			// The server records the same end, once the connection is gone.
			ctx := testCtx(t)
			require.NoError(t, srv.WaitLive(ctx, 0))
			info := srv.Snapshot().Conns[0]
			assert.False(t, info.Live)
			assert.Equal(t, tt.server, transport.CloseStatus(info.Err), "server saw %v", info.Err)
		})
	}
}

// one turns the count of a *All method into an error unless it is 1.
func one(n int) error {
	if n != 1 {
		return fmt.Errorf("fault reached %d connections, want 1", n)
	}
	return nil
}

// TestStallSilencesConnection shows a stalled server as a half-open peer:
// the TCP connection stays open, reads time out, pings go unanswered and
// the server's own messages stop, until the server drops it.
func TestStallSilencesConnection(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	pongs := make(chan struct{}, 1)
	c := dial(t, srv, "/", &transport.DialOptions{OnPong: func([]byte) { pongs <- struct{}{} }})

	// Before the stall: the ping is answered while the client reads.
	require.NoError(t, c.Ping(testCtx(t), []byte("1")))
	write(t, c, "echo")
	require.Equal(t, "echo", read(t, c))
	requireRecv(t, pongs)

	require.NoError(t, srv.Stall(1))

	// After it: nothing comes back. Proving an absence needs a bound; the
	// ping and the message are written before it starts.
	require.NoError(t, c.Ping(testCtx(t), []byte("2")))
	write(t, c, "unanswered")
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, _, err := c.Read(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, pongs, "a stalled server answered a ping")
	assert.NoError(t, c.Err(), "the connection must stay open")

	snap := srv.Snapshot()
	assert.True(t, snap.Conns[0].Stalled)
	assert.True(t, snap.Conns[0].Live)
	assert.Equal(t, 1, snap.Conns[0].Received, "the server must not read after the stall")
	assert.ErrorIs(t, srv.Send(testCtx(t), 1, transport.MessageText, []byte("x")), wstest.ErrStalled)

	// A stalled connection ends when the server drops it.
	require.NoError(t, srv.Drop(1))
	_, err = readUntilErr(t, c)
	assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(err))
	require.NoError(t, srv.WaitLive(testCtx(t), 0))
}

// TestStallStopsStream checks that a stall also silences a behaviour that
// writes on its own.
func TestStallStopsStream(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Stream(wstest.StreamOptions{Rate: 1000})})
	c := dial(t, srv, "/", nil)
	require.Equal(t, []uint64{1, 2}, seqs(t, c, 2))
	require.Equal(t, 1, srv.StallAll())

	// Whatever was written before the stall may still arrive; then nothing.
	sent := srv.Snapshot().Conns[0].Sent
	for range sent - 2 {
		_, _, err := c.Read(testCtx(t))
		require.NoError(t, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, _, err := c.Read(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, sent, srv.Snapshot().Conns[0].Sent)
}

// TestLatencySlowsWrites checks that SetLatency delays each message, one
// after the other.
func TestLatencySlowsWrites(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	c := dial(t, srv, "/", nil)
	const latency = 20 * time.Millisecond
	srv.SetLatency(latency)
	start := time.Now()
	write(t, c, "a")
	write(t, c, "b")
	assert.Equal(t, "a", read(t, c))
	assert.Equal(t, "b", read(t, c))
	// Only a lower bound: a loaded machine may be slower, never faster.
	assert.GreaterOrEqual(t, time.Since(start), 2*latency)

	srv.SetLatency(0)
	write(t, c, "c")
	assert.Equal(t, "c", read(t, c))
}

// TestInjectErrors covers commands aimed at connections that are not live.
func TestInjectErrors(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	assert.ErrorIs(t, srv.Drop(1), wstest.ErrNoConn)
	assert.ErrorIs(t, srv.Inject(0, wstest.Drop()), wstest.ErrNoConn)
	assert.Zero(t, srv.DropAll())

	c := dial(t, srv, "/", nil)
	require.NoError(t, c.Close(transport.StatusNormalClosure, ""))
	require.NoError(t, srv.WaitLive(testCtx(t), 0))
	assert.ErrorIs(t, srv.Drop(1), wstest.ErrNoConn, "an ended connection")

	srv.Close()
	assert.ErrorIs(t, srv.Drop(1), wstest.ErrServerClosed)
}

// TestCloseWithPanicsOnUnsendableCode checks that CloseWith refuses, as a
// mistake in the test, what no close frame may carry.
func TestCloseWithPanicsOnUnsendableCode(t *testing.T) {
	for _, code := range []transport.StatusCode{0, 999, 1004, 1005, 1006, 1015, 2999, 5000} {
		assert.Panics(t, func() { wstest.CloseWith(code, "") }, "code %d", code)
	}
	assert.Panics(t, func() { wstest.CloseWith(1000, string(make([]byte, 124))) })
	assert.Panics(t, func() { wstest.CloseWith(1000, "\xff") })
	assert.NotPanics(t, func() { wstest.CloseWith(4999, string(make([]byte, 123))) })
}

// requireRecv waits for a signal on ch.
func requireRecv(t testing.TB, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-testCtx(t).Done():
		t.Fatal("timed out waiting for a signal")
	}
}
