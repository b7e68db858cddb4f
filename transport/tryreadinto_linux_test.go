package transport

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inQueue returns a function that waits until n bytes wait in nc's
// receive queue (SIOCINQ): the event of their arrival, which a peer's
// write does not wait for. The function allocates nothing.
func inQueue(t *testing.T, ctx context.Context, nc net.Conn) func(n int) {
	t.Helper()
	tc, ok := nc.(*net.TCPConn)
	require.True(t, ok)
	rc, err := tc.SyscallConn()
	require.NoError(t, err)
	var q int32
	var errno syscall.Errno
	look := func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&q)))
	}
	return func(n int) {
		for {
			if err := rc.Control(look); err != nil || errno != 0 {
				t.Fatalf("SIOCINQ: %v, %v", err, errno)
			}
			if int(q) >= n {
				return
			}
			if ctx.Err() != nil {
				t.Fatalf("%d of %d bytes arrived", q, n)
			}
			runtime.Gosched()
		}
	}
}

// TestTryReadIntoTakesWhatTheSocketHolds: on a plain TCP connection,
// TryReadInto takes a message that has arrived in the socket but not yet
// in the read buffer: it reads the socket once without waiting (the
// Client's program then refills the buffer itself instead of waking its
// reader goroutine for each buffer's worth, which cost a 64-byte feed
// two goroutine switches a fill). With nothing arrived it still reports
// false at once, and allocates nothing either way.
func TestTryReadIntoTakesWhatTheSocketHolds(t *testing.T) {
	ctx := untilTestDeadline(t)
	c, raw := rawServer(t, connConfig{noIdleReads: true})
	arrived := inQueue(t, ctx, c.nc)
	buf := make([]byte, 0, 64)
	_, p, ok := c.TryReadInto(buf)
	require.False(t, ok, "nothing sent yet")
	require.Empty(t, p)
	msg := bytes.Repeat([]byte("m"), 40)
	frame := frameBytes(true, 0, OpBinary, false, msg)
	for i := range 3 {
		send(t, raw, frame)
		arrived(len(frame))
		typ, p, ok := c.TryReadInto(buf)
		require.True(t, ok, "message %d: in the socket, not taken", i)
		require.Equal(t, MessageBinary, typ)
		require.Equal(t, msg, p)
		buf = p
	}
	taken := 0
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := raw.Write(frame); err != nil {
			t.Fatal(err)
		}
		arrived(len(frame))
		if _, p, ok := c.TryReadInto(buf); ok {
			buf = p
			taken++
		}
	})
	assert.Zero(t, allocs)
	assert.Equal(t, 101, taken)
	_, _, ok = c.TryReadInto(buf)
	require.False(t, ok, "nothing left")
}

// wrappedTCP is a net.Conn that wraps a TCP connection with a Read of
// its own, and offers the socket too (by embedding).
type wrappedTCP struct {
	*net.TCPConn
	reads int
}

func (w *wrappedTCP) Read(p []byte) (int, error) {
	w.reads++
	return w.TCPConn.Read(p)
}

// TestTryReadIntoNeverBypassesAWrapper: a net.Conn that wraps the socket
// (TLS, or a program's own, here one that counts its reads) is read only
// through its Read: TryReadInto takes nothing from its socket, and
// ReadInto gets the message through the wrapper.
func TestTryReadIntoNeverBypassesAWrapper(t *testing.T) {
	ctx := untilTestDeadline(t)
	a, b := tcpPair(t)
	w := &wrappedTCP{TCPConn: a.(*net.TCPConn)}
	c := newConn(connConfig{nc: w, client: true, noIdleReads: true})
	t.Cleanup(func() { _ = c.CloseNow() })
	frame := frameBytes(true, 0, OpText, false, []byte("through the wrapper"))
	send(t, b, frame)
	inQueue(t, ctx, a)(len(frame))
	_, _, ok := c.TryReadInto(nil)
	require.False(t, ok, "TryReadInto read the socket beneath the wrapper")
	_, p, err := c.ReadInto(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, "through the wrapper", string(p))
	require.Positive(t, w.reads)
}

// TestFillNowKeepsTheBufferSize: reads that TryReadInto makes without
// waiting take what came since the last, a little at a time while the
// program keeps up with its feed; they do not count toward shrinking a
// grown buffer, nor mark the connection quiet. Counted, a feed the
// program kept up with shrank the buffer to 4 KiB after 64 such reads,
// and grew it back (allocating) as soon as the reader read a backlog.
func TestFillNowKeepsTheBufferSize(t *testing.T) {
	ctx := untilTestDeadline(t)
	a, b := tcpPair(t)
	arrived := inQueue(t, ctx, a)
	var br readBuffer
	br.init(a, nil, 0)
	for br.size() < MaxReadBufferSize { // a backlog grows it
		chunk := make([]byte, br.size())
		_, err := b.Write(chunk)
		require.NoError(t, err)
		arrived(len(chunk))
		require.NoError(t, br.fill())
		br.discard(br.buffered())
	}
	rc, err := a.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	rr := newRawReader(rc)
	small := []byte("a little")
	for i := range 2 * shrinkAfter {
		_, err := b.Write(small)
		require.NoError(t, err)
		arrived(len(small))
		ok, err := br.fillNow(rr)
		require.NoError(t, err)
		require.True(t, ok, "read %d brought nothing", i)
		require.Equal(t, len(small), br.buffered())
		br.discard(br.buffered())
		require.Equal(t, MaxReadBufferSize, br.size(), "read %d", i)
	}
	require.False(t, br.quiet)
}
