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
	defer b.Close()
	c := newConn(connConfig{nc: a, client: true, noIdleReads: true})
	defer c.CloseNow()

	msg := make([]byte, 512<<10)
	require.NoError(t, c.Write(context.Background(), MessageBinary, msg))
	written := c.BytesWritten()
	assert.Less(t, c.WriteProgress(), written-256<<10, "the tail is still in the kernel")

	_, err = io.CopyN(io.Discard, b, int64(written))
	require.NoError(t, err)
	for c.WriteProgress() != written {
		time.Sleep(time.Millisecond) // the last ACK, perhaps delayed
	}
}
