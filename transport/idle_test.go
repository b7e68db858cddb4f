package transport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expectFrame reads the next frame the client sent and checks it.
func expectFrame(t *testing.T, br *bufio.Reader, op Opcode, payload string) {
	t.Helper()
	h, p := readFrame(t, br)
	require.Equal(t, op, h.Opcode)
	require.True(t, h.Masked, "client frames are masked")
	require.Equal(t, payload, string(p))
}

// §5.5.2: a ping is answered even though the application never reads.
func TestPingAnsweredWithoutReader(t *testing.T) {
	_, raw := rawServer(t, connConfig{})
	br := bufio.NewReader(raw)
	for _, p := range []string{"are you there", "", "still?"} {
		send(t, raw, frameBytes(true, 0, OpPing, false, []byte(p)))
		expectFrame(t, br, OpPong, p)
	}
}

// The Conn's own reads stop at a data message: a ping before it is
// answered at once, the message waits intact for the application, and a
// ping after it is answered once the application has read it.
func TestIdleAnswerStopsAtDataMessage(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	br := bufio.NewReader(raw)
	send(t, raw,
		frameBytes(true, 0, OpPing, false, []byte("a")),
		frameBytes(true, 0, OpText, false, []byte("message")),
		frameBytes(true, 0, OpPing, false, []byte("b")))
	expectFrame(t, br, OpPong, "a")

	typ, got, err := cc.Read(context.Background())
	require.NoError(t, err)
	assert.Equal(t, MessageText, typ)
	assert.Equal(t, "message", string(got))
	expectFrame(t, br, OpPong, "b")
}

// Between two fragments of a message the application holds in a Reader,
// the next frame may be a control frame (§5.4); the Conn answers it and
// leaves the continuation to the application.
func TestIdleAnswerBetweenFragments(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	br := bufio.NewReader(raw)
	send(t, raw, frameBytes(false, 0, OpText, false, []byte("hel")))
	_, mr, err := cc.Reader(context.Background())
	require.NoError(t, err)
	first := make([]byte, 3)
	_, err = io.ReadFull(mr, first)
	require.NoError(t, err)

	send(t, raw, frameBytes(true, 0, OpPing, false, []byte("x")),
		frameBytes(true, 0, OpContinuation, false, []byte("lo")))
	expectFrame(t, br, OpPong, "x")

	rest, err := io.ReadAll(mr)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(first)+string(rest))
}

// In the middle of a frame's payload the next bytes are the application's:
// the Conn must not read them, however long the application waits.
func TestIdleAnswerLeavesPayloadAlone(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	br := bufio.NewReader(raw)
	msg := bytes.Repeat([]byte("p"), 300)
	send(t, raw, frameBytes(true, 0, OpBinary, false, msg))
	_, mr, err := cc.Reader(context.Background())
	require.NoError(t, err)
	head := make([]byte, 10)
	_, err = io.ReadFull(mr, head)
	require.NoError(t, err)
	// The ping goes out behind the payload; it is answered only after
	// the application has read the rest.
	send(t, raw, frameBytes(true, 0, OpPing, false, []byte("after")))
	rest, err := io.ReadAll(mr)
	require.NoError(t, err)
	assert.Equal(t, msg, append(head, rest...))
	expectFrame(t, br, OpPong, "after")
}

// A close frame that arrives while no one reads waits for the
// application, like data: a reply the application writes to an earlier
// message still goes out before the close is echoed (Autobahn 7.1.6;
// §5.5.1 lets the echo wait). A ping behind the close is never answered.
func TestIdleAnswerLeavesCloseToTheApplication(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	br := bufio.NewReader(raw)
	send(t, raw,
		frameBytes(true, 0, OpPing, false, []byte("a")),
		frameBytes(true, 0, OpClose, false, appendClosePayload(nil, StatusGoingAway, "bye")),
		frameBytes(true, 0, OpPing, false, []byte("b")))
	// The pong shows the Conn's own reads reached the close frame.
	expectFrame(t, br, OpPong, "a")

	ctx := context.Background()
	require.NoError(t, cc.Write(ctx, MessageText, []byte("late reply")))
	_, _, err := cc.Read(ctx)
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, StatusGoingAway, ce.Code)

	expectFrame(t, br, OpText, "late reply")
	expectClose(t, br, StatusGoingAway, "the close is echoed after the reply, and no pong for b")
}

// §5.5: a fragmented ping is a protocol error whoever reads it.
func TestIdleAnswerFailsBadControlFrame(t *testing.T) {
	cc, raw := rawServer(t, connConfig{})
	br := bufio.NewReader(raw)
	send(t, raw, frameBytes(false, 0, OpPing, false, []byte("frag")))
	expectClose(t, br, StatusProtocolError)
	<-cc.Done()
	var pe *ProtocolError
	require.ErrorAs(t, cc.Err(), &pe)
	assert.Equal(t, StatusProtocolError, pe.Code)
}

// The read side passes back and forth between the application and the
// Conn's own reads many times: after each message the application stops
// reading until the peer has had the pong for a ping sent meanwhile. Every
// message arrives intact and in order (run with -race).
func TestIdleAnswerHandsOverRepeatedly(t *testing.T) {
	pongs := make(chan string, 1)
	cc, sc := connPair(t, connConfig{},
		connConfig{onPong: func(p []byte) { pongs <- string(p) }})
	ctx := context.Background()
	const rounds = 50
	read := make(chan int)
	errc := make(chan error, 1)
	go func() {
		// The server never reads: its own idle reads deliver the pongs.
		for i := range rounds {
			msg := bytes.Repeat([]byte{byte(i)}, 1+i*97%2000)
			if err := sc.Write(ctx, MessageBinary, msg); err != nil {
				errc <- err
				return
			}
			<-read
			if err := sc.Ping(ctx, fmt.Appendf(nil, "ping %d", i)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	buf := make([]byte, 0, 4096)
	for i := range rounds {
		var err error
		_, buf, err = cc.ReadInto(ctx, buf)
		require.NoError(t, err)
		require.Equal(t, bytes.Repeat([]byte{byte(i)}, 1+i*97%2000), buf, "message %d", i)
		read <- i
		require.Equal(t, fmt.Sprintf("ping %d", i), <-pongs)
	}
	require.NoError(t, <-errc)
}

// NoIdleReads: the Conn reads only inside the application's read calls, so
// a ping waits for the next Read, and a Conn that is never read stays
// silent (what wstest's Stall relies on).
func TestNoIdleReadsLeavesPingsToTheReader(t *testing.T) {
	cc, raw := rawServer(t, connConfig{noIdleReads: true})
	require.Nil(t, cc.idle.timer, "the responder is never armed")
	br := bufio.NewReader(raw)
	send(t, raw, frameBytes(true, 0, OpPing, false, []byte("p")),
		frameBytes(true, 0, OpText, false, []byte("m")))
	ctx := context.Background()
	// Nothing has read the ping yet, so the pong can only follow this.
	require.NoError(t, cc.Write(ctx, MessageText, []byte("mark")))
	expectFrame(t, br, OpText, "mark")
	_, got, err := cc.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "m", string(got))
	expectFrame(t, br, OpPong, "p")
	assert.Nil(t, cc.idle.timer, "reads do not arm it either")
}

// slowExitConn is a net.Conn whose Read, once the connection fails, takes
// a while to return: it makes a Close that does not wait for the goroutine
// reading visible.
type slowExitConn struct {
	net.Conn
	exited atomic.Bool
}

func (s *slowExitConn) Read(p []byte) (int, error) {
	n, err := s.Conn.Read(p)
	if err != nil {
		time.Sleep(20 * time.Millisecond) // the slow exit, not a wait for state
		s.exited.Store(true)
	}
	return n, err
}

// Close and CloseNow return only once the Conn's own reading goroutine is
// gone: an owner that waits for what it started.
func TestCloseWaitsForIdleReader(t *testing.T) {
	for _, name := range []string{"Close", "CloseNow"} {
		t.Run(name, func(t *testing.T) {
			a, raw := tcpPair(t)
			nc := &slowExitConn{Conn: a}
			cc := newConn(connConfig{nc: nc, client: true, closeTimeout: 50 * time.Millisecond})
			br := bufio.NewReader(raw)
			// The pong proves the goroutine took the read side; it is
			// now waiting for the next frame.
			_, err := raw.Write(frameBytes(true, 0, OpPing, false, []byte("here")))
			require.NoError(t, err)
			expectFrame(t, br, OpPong, "here")
			if name == "Close" {
				_ = cc.Close(StatusNormalClosure, "")
			} else {
				require.NoError(t, cc.CloseNow())
			}
			assert.True(t, nc.exited.Load(), "%s returned before the idle reader left", name)
		})
	}
}
