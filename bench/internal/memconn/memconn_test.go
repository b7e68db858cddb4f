package memconn

import (
	"bufio"
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sturdyws/sturdy/bench/internal/payload"
	"github.com/sturdyws/sturdy/bench/internal/wsraw"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// handshake dials s and completes the opening handshake, reading through
// a buffer of bufSize bytes.
func handshake(t *testing.T, s *Stream, bufSize int) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc, err := s.Dial()(context.Background(), "tcp", "memconn")
	require.NoError(t, err)
	br := bufio.NewReaderSize(nc, bufSize)
	require.NoError(t, wsraw.ClientHandshake(nc, br, "memconn", "/"))
	return nc, br
}

// open is handshake, wrapped in the minimal client.
func open(t *testing.T, s *Stream) *wsraw.Conn {
	t.Helper()
	nc, br := handshake(t, s, 4096)
	return wsraw.NewConn(nc, br, 4096, true)
}

// TestStreamRepeatsInOrder: after the go-ahead the frames come in order
// and start over after the last one, each message whole.
func TestStreamRepeatsInOrder(t *testing.T) {
	for _, size := range []int{8, 125, 126, 1000, 70000} {
		s := NewStream(size, 3)
		c := open(t, s)
		require.NoError(t, c.WriteFlush(wsraw.OpText, []byte("go")))
		for i := range 10 {
			op, p, err := c.ReadMessage()
			require.NoError(t, err)
			assert.Equal(t, byte(wsraw.OpBinary), op)
			require.NoError(t, payload.Check(p, size, uint64(i%3)), "size %d", size)
		}
	}
}

// TestCloseEndsAtFrameBoundary: a close from the client mid-stream gets
// the rest of the frame being served, the server's close frame, then the
// end of the stream.
func TestCloseEndsAtFrameBoundary(t *testing.T) {
	s := NewStream(1000, 4)
	nc, br := handshake(t, s, 128)
	c := wsraw.NewConn(nc, br, 4096, true)
	require.NoError(t, c.WriteFlush(wsraw.OpBinary, []byte("go")))
	// Read a few bytes into the second frame, then close.
	_, _, err := c.ReadMessage()
	require.NoError(t, err)
	_, err = br.Peek(10)
	require.NoError(t, err)
	require.NoError(t, c.WriteFlush(wsraw.OpClose, []byte{0x03, 0xe8}))
	_, p, err := c.ReadMessage()
	require.NoError(t, err, "the frame under way is served whole")
	require.NoError(t, payload.Check(p, 1000, 1))
	_, _, err = c.ReadMessage()
	require.ErrorIs(t, err, wsraw.ErrClosed)
	require.NoError(t, nc.Close())
}

// TestCloseBeforeGoAhead: a reader waiting for the go-ahead is released
// by Close.
func TestCloseBeforeGoAhead(t *testing.T) {
	nc, br := handshake(t, NewStream(64, 2), 4096)
	done := make(chan error, 1)
	go func() {
		_, err := br.ReadByte()
		done <- err
	}()
	require.NoError(t, nc.Close())
	assert.ErrorIs(t, <-done, errClosed)
}
