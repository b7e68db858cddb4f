package wstest_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestScriptByOrdinal flaps the first connection and closes the third with
// 1012, leaving the second alone.
func TestScriptByOrdinal(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{
		Default: wstest.Echo(),
		Script: []wstest.Rule{
			{Conn: 1, Do: wstest.Drop()},
			{Conn: 3, Do: wstest.CloseWith(transport.StatusServiceRestart, "restart")},
		},
	})
	c1 := dial(t, srv, "/", nil)
	_, err := readUntilErr(t, c1)
	assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(err))

	c2 := dial(t, srv, "/", nil)
	write(t, c2, "ok")
	assert.Equal(t, "ok", read(t, c2))

	c3 := dial(t, srv, "/", nil)
	_, err = readUntilErr(t, c3)
	assert.Equal(t, transport.StatusServiceRestart, transport.CloseStatus(err))

	write(t, c2, "still ok")
	assert.Equal(t, "still ok", read(t, c2))
}

// TestScriptAfterSent cuts a stream after exactly three messages on every
// connection, whatever the fault.
func TestScriptAfterSent(t *testing.T) {
	tests := []struct {
		name string
		do   wstest.Fault
		code transport.StatusCode
	}{
		{"drop", wstest.Drop(), transport.StatusAbnormalClosure},
		{"close 1013", wstest.CloseWith(transport.StatusTryAgainLater, ""), transport.StatusTryAgainLater},
		{"close 4000", wstest.CloseWith(4000, "quota"), 4000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := wstest.Start(t, wstest.Options{
				Default: wstest.Stream(wstest.StreamOptions{}),
				Script:  []wstest.Rule{{AfterSent: 3, Do: tt.do}},
			})
			for conn := range uint64(2) {
				c := dial(t, srv, "/", nil)
				msgs, err := readUntilErr(t, c)
				assert.Equal(t, tt.code, transport.CloseStatus(err))
				require.Len(t, msgs, 3)
				for i, p := range msgs {
					seq, _ := wstest.ParseSeq(p)
					assert.Equal(t, conn*3+uint64(i)+1, seq)
				}
				require.NoError(t, srv.WaitLive(testCtx(t), 0))
			}
		})
	}
}

// TestScriptAfterReceived drops an at-least-once sink's connection on the
// third message: it is recorded but never acknowledged, so the client must
// send it again on the next connection, where the ack comes.
func TestScriptAfterReceived(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{
		Default: wstest.Sink(func(m wstest.Message) []byte { return append([]byte("ack:"), m.Data...) }),
		Script:  []wstest.Rule{{Conn: 1, AfterReceived: 3, Do: wstest.Drop()}},
	})
	c := dial(t, srv, "/", nil)
	for _, m := range []string{"m1", "m2", "m3"} {
		write(t, c, m)
	}
	acks, err := readUntilErr(t, c)
	assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(err))
	require.Len(t, acks, 2)
	assert.Equal(t, "ack:m2", string(acks[1]))

	d := dial(t, srv, "/", nil)
	write(t, d, "m3")
	assert.Equal(t, "ack:m3", read(t, d))

	// Nothing lost, nothing reordered, the duplicate at the reconnect.
	sent := [][]byte{[]byte("m1"), []byte("m2"), []byte("m3")}
	require.NoError(t, wstest.CheckDelivery(sent, srv.Received()))
	var got []string
	for _, m := range srv.Received() {
		got = append(got, fmt.Sprintf("%s@%d", m.Data, m.Conn))
	}
	assert.Equal(t, []string{"m1@1", "m2@1", "m3@1", "m3@2"}, got)
}

// TestScriptAfterTime closes each connection a fixed time after it opened.
// The test waits on the connection, not on a clock, and checks the time
// only as a lower bound.
func TestScriptAfterTime(t *testing.T) {
	const after = 30 * time.Millisecond
	srv := wstest.Start(t, wstest.Options{
		Default: wstest.Echo(),
		Script:  []wstest.Rule{{After: after, Do: wstest.CloseWith(transport.StatusGoingAway, "timeout")}},
	})
	c := dial(t, srv, "/", nil)
	write(t, c, "early")
	msgs, err := readUntilErr(t, c)
	assert.Equal(t, transport.StatusGoingAway, transport.CloseStatus(err))
	assert.Equal(t, [][]byte{[]byte("early")}, msgs)
	require.NoError(t, srv.WaitLive(testCtx(t), 0))
	info := srv.Snapshot().Conns[0]
	assert.GreaterOrEqual(t, info.Closed.Sub(info.Opened), after)
}

// TestScriptCombined fires only when every condition holds: on the second
// connection, once it has both sent two messages and been open 20 ms.
func TestScriptCombined(t *testing.T) {
	const after = 20 * time.Millisecond
	srv := wstest.Start(t, wstest.Options{
		Default: wstest.Stream(wstest.StreamOptions{Count: 2}),
		Script:  []wstest.Rule{{Conn: 2, AfterSent: 2, After: after, Do: wstest.Reset()}},
	})
	c1 := dial(t, srv, "/", nil)
	assert.Equal(t, []uint64{1, 2}, seqs(t, c1, 2))

	c2 := dial(t, srv, "/", nil)
	msgs, err := readUntilErr(t, c2)
	assert.Len(t, msgs, 2)
	assert.ErrorIs(t, err, syscall.ECONNRESET)
	require.NoError(t, srv.WaitLive(testCtx(t), 1))
	info := srv.Snapshot().Conns[1]
	assert.GreaterOrEqual(t, info.Closed.Sub(info.Opened), after)
	assert.True(t, srv.Snapshot().Conns[0].Live, "the first connection is not in the rule")
}

// TestScriptByPath restricts a rule to a route.
func TestScriptByPath(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{
		Default: wstest.Echo(),
		Script:  []wstest.Rule{{Path: "/flaky", Do: wstest.Drop()}},
	})
	_, err := readUntilErr(t, dial(t, srv, "/flaky", nil))
	assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(err))
	c := dial(t, srv, "/stable", nil)
	write(t, c, "ok")
	assert.Equal(t, "ok", read(t, c))
}

// TestScriptStallAndRaw stalls by rule (the client's pings go unanswered)
// and sends raw bytes by rule (the client fails the connection).
func TestScriptStallAndRaw(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{
		Default: wstest.Echo(),
		Script: []wstest.Rule{
			{Path: "/stall", AfterReceived: 1, Do: wstest.Stall()},
			{Path: "/raw", AfterReceived: 1, Do: wstest.Raw(wstest.CloseFrame(999, ""))},
		},
	})
	pongs := make(chan struct{}, 1)
	c := dial(t, srv, "/stall", &transport.DialOptions{OnPong: func([]byte) { pongs <- struct{}{} }})
	write(t, c, "last words")
	require.NoError(t, srv.WaitFor(testCtx(t), func(s wstest.Snapshot) bool { return s.Conns[0].Stalled }))
	require.NoError(t, c.Ping(testCtx(t), nil))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, _, err := c.Read(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the stalled server must not echo")
	assert.Empty(t, pongs)

	r := dial(t, srv, "/raw", nil)
	write(t, r, "trigger")
	msgs, err := readUntilErr(t, r)
	assert.Empty(t, msgs, "the rule fires before the echo, so the raw bytes come first")
	var pe *transport.ProtocolError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, transport.StatusProtocolError, pe.Code)
}
