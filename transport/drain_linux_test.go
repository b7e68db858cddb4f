package transport

import (
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tcpState returns the kernel's TCP state of nc (tcpi_state, TCP_INFO's
// first byte; 7 is TCP_CLOSE).
func tcpState(t *testing.T, nc net.Conn) byte {
	rc, err := nc.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	var v int
	var serr error
	require.NoError(t, rc.Control(func(fd uintptr) {
		v, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_INFO)
	}))
	require.NoError(t, serr)
	return byte(v)
}

// The drain keeps the read side open whichever write meets the reset
// first, the reader's own pong included: the message the peer sent after
// its ping, readable in the socket, is still delivered. (Linux: the test
// waits for the reset through TCP_INFO.)
func TestPongToGonePeerKeepsReading(t *testing.T) {
	ctx := untilTestDeadline(t)
	c, raw := rawServer(t, connConfig{closeTimeout: time.Hour, noIdleReads: true})
	send(t, raw,
		frameBytes(true, 0, OpPing, false, []byte("hb")),
		frameBytes(true, 0, OpText, false, []byte("after ping")))
	require.NoError(t, raw.Close())
	require.NoError(t, c.Write(ctx, MessageText, []byte("order"))) // the peer's TCP resets it
	for tcpState(t, c.nc) != 7 {                                   // wait for the reset to arrive
		require.NoError(t, ctx.Err(), "no reset")
		runtime.Gosched()
	}
	typ, p, err := c.Read(ctx)
	require.NoError(t, err, "the pong's failure ended the read")
	require.Equal(t, MessageText, typ)
	require.Equal(t, "after ping", string(p))
}
