package transport

import (
	"context"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// WriteProgress sees the tail a write left in the kernel: below
// BytesWritten while the peer has not taken it, equal once the peer's TCP
// has acknowledged all of it.
func TestWriteProgressSeesTheTail(t *testing.T) {
	// A peer with a tiny receive buffer keeps most of the message in the
	// writer's send queue until it reads.
	a, b := smallWindowPair(t)
	c := newConn(connConfig{nc: a, client: true, noIdleReads: true})
	defer c.CloseNow()

	msg := make([]byte, 512<<10)
	require.NoError(t, c.Write(context.Background(), MessageBinary, msg))
	written := c.BytesWritten()
	assert.Less(t, c.WriteProgress(), written-256<<10, "the tail is still in the kernel")

	_, err := io.CopyN(io.Discard, b, int64(written))
	require.NoError(t, err)
	for c.WriteProgress() != written {
		time.Sleep(time.Millisecond) // the last ACK, perhaps delayed
	}
}

// What heartbeat.SpanPinger rests on: once the pong to a ping has been
// read, the peer's TCP has acknowledged every byte through the ping's
// end (the pong's segment carries that acknowledgement, and the kernel
// takes it before the pong's bytes), so WriteAcked reports them all at
// once, without waiting.
func TestPongProvesThePingAcknowledged(t *testing.T) {
	pong := make(chan struct{}, 1)
	cc, sc := connPair(t, connConfig{onPong: func([]byte) { pong <- struct{}{} }}, connConfig{})
	ctx := context.Background()
	go func() {
		for {
			if _, _, err := sc.Read(ctx); err != nil {
				return
			}
		}
	}()
	require.NoError(t, cc.Write(ctx, MessageBinary, make([]byte, 256<<10)))
	_, end, err := cc.PingSpan(ctx, []byte("12345678"))
	require.NoError(t, err)
	read := make(chan error, 1)
	go func() {
		_, _, err := cc.Read(ctx) // answers the ping; passes the pong to onPong
		read <- err
	}()
	select {
	case <-pong:
	case err := <-read:
		t.Fatalf("read ended before the pong: %v", err)
	}
	acked, exact := cc.WriteAcked()
	require.True(t, exact)
	assert.Equal(t, end, acked, "everything through the ping's end is acknowledged")
	cc.CloseNow()
	<-read
}

// smallWindowPair returns the two ends of a loopback TCP connection whose
// second end has a 4 KiB receive buffer, so that while it does not read,
// little of what the first writes leaves the first's send queue. Both
// are closed when the test ends.
func smallWindowPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	b, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}
