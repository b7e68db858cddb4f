package transport

import (
	"bytes"
	"context"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tryPair is connPair with the server reading (and answering pings) and
// logging them; the client reads the pongs and signals each.
func tryPair(t *testing.T) (cc *Conn, pings *pingLog, pongs chan []byte) {
	t.Helper()
	pings, pongs = newPingLog(), make(chan []byte, 16)
	cc, sc := connPair(t, connConfig{onPong: func(p []byte) { pongs <- bytes.Clone(p) }}, connConfig{onPing: pings.onPing})
	go func() { _, _, _ = sc.Read(context.Background()) }()
	go func() { _, _, _ = cc.Read(context.Background()) }()
	return cc, pings, pongs
}

// On a connection with nothing written since start, TryPingSpan sends the
// ping whole, at once, with no deadline armed, and reports where it
// ended; the peer answers it as any ping.
func TestTryPingSpanSendsWhenClear(t *testing.T) {
	cc, pings, pongs := tryPair(t)
	require.NoError(t, cc.Write(context.Background(), MessageText, []byte("first")))
	start := cc.BytesWritten()
	end, sent, err := cc.TryPingSpan([]byte("12345678"), start, time.Minute)
	require.NoError(t, err)
	require.True(t, sent)
	assert.Equal(t, start+2+4+8, end, "header, mask key and payload")
	assert.Equal(t, end, cc.BytesWritten())
	assert.Equal(t, []byte("12345678"), <-pongs)
	assert.Equal(t, []string{"12345678"}, pings.payloads())
	assert.Zero(t, disarms(cc), "no deadline was armed")
}

// Whenever sending would mean waiting, or the caller's knowledge is out
// of date, TryPingSpan sends nothing at all and says so; PingSpan then
// sends. The peer sees only the pings that were sent.
func TestTryPingSpanSendsNothingWhenNotClear(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, c *Conn) (start uint64, undo func())
	}{
		{"written since start", func(t *testing.T, c *Conn) (uint64, func()) {
			start := c.BytesWritten()
			require.NoError(t, c.Write(context.Background(), MessageText, []byte("since")))
			return start, func() {}
		}},
		{"a frame buffered", func(t *testing.T, c *Conn) (uint64, func()) {
			require.NoError(t, c.WriteBuffered(context.Background(), MessageText, []byte("held")))
			return c.BytesWritten(), func() {}
		}},
		{"another write holds the connection", func(t *testing.T, c *Conn) (uint64, func()) {
			require.True(t, c.wr.frameSem.tryAcquire())
			return c.BytesWritten(), func() { release(c.wr.frameSem) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc, pings, pongs := tryPair(t)
			start, undo := tc.setup(t, cc)
			before := cc.BytesWritten()
			_, sent, err := cc.TryPingSpan([]byte("refused"), start, time.Minute)
			undo()
			require.NoError(t, err)
			assert.False(t, sent)
			assert.Equal(t, before, cc.BytesWritten(), "nothing written")
			_, _, err = cc.PingSpan(context.Background(), []byte("spanned"))
			require.NoError(t, err)
			assert.Equal(t, []byte("spanned"), <-pongs)
			assert.Equal(t, []string{"spanned"}, pings.payloads(), "the refused ping never reached the peer")
		})
	}
}

// A connection that is closed, or not a socket the writer may write to
// itself, is left to PingSpan, which reports the error or waits under its
// deadlines.
func TestTryPingSpanLeavesOthersToPingSpan(t *testing.T) {
	cc, _, _ := tryPair(t)
	cc.CloseNow()
	_, sent, err := cc.TryPingSpan(nil, cc.BytesWritten(), time.Minute)
	require.NoError(t, err)
	assert.False(t, sent, "closed")
	_, _, err = cc.PingSpan(context.Background(), nil)
	assert.Error(t, err, "PingSpan says why")

	a, b := net.Pipe()
	c := newConn(connConfig{nc: a, client: true, noIdleReads: true})
	defer c.CloseNow()
	defer b.Close()
	_, sent, err = c.TryPingSpan(nil, 0, time.Minute)
	require.NoError(t, err)
	assert.False(t, sent, "not a socket")
	assert.Zero(t, c.BytesWritten())

	_, sent, err = cc.TryPingSpan(make([]byte, MaxControlPayload+1), cc.BytesWritten(), time.Minute)
	assert.ErrorIs(t, err, errControlTooLong)
	assert.False(t, sent)
}

// A socket whose send buffer is full (the peer does not read) takes
// nothing: TryPingSpan sends nothing and returns at once, where a ping
// would wait.
func TestTryPingSpanNeverWaitsForTheNetwork(t *testing.T) {
	a, _ := smallWindowPair(t) // the peer never reads
	fillSendBuffer(t, a.(*net.TCPConn))
	c := newConn(connConfig{nc: a, client: true, noIdleReads: true})
	defer c.CloseNow()
	_, sent, err := c.TryPingSpan([]byte("12345678"), c.BytesWritten(), time.Minute)
	require.NoError(t, err)
	assert.False(t, sent)
	assert.Zero(t, c.BytesWritten())
}

// fillSendBuffer writes to tc until its kernel takes no more.
func fillSendBuffer(t *testing.T, tc *net.TCPConn) {
	t.Helper()
	require.NoError(t, tc.SetWriteBuffer(4096))
	junk := make([]byte, 64<<10)
	for {
		require.NoError(t, tc.SetWriteDeadline(time.Now().Add(20*time.Millisecond)))
		if _, err := tc.Write(junk); err != nil {
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			break
		}
	}
	require.NoError(t, tc.SetWriteDeadline(time.Time{}))
}

// takeOneByte makes c's next offers to its socket take one byte only, as
// a kernel short of room would.
func takeOneByte(c *Conn) {
	w := &c.wr.now
	w.fn = func(fd uintptr) bool {
		w.n, _ = syscall.Write(int(fd), w.b[:1])
		return true
	}
}

// Should the kernel take only part of the frame, the rest follows: the
// ping is sent, whole, and the peer answers it.
func TestTryPingSpanFinishesAPartWrite(t *testing.T) {
	cc, pings, pongs := tryPair(t)
	takeOneByte(cc)
	start := cc.BytesWritten()
	end, sent, err := cc.TryPingSpan([]byte("12345678"), start, time.Minute)
	require.NoError(t, err)
	require.True(t, sent)
	assert.Equal(t, start+2+4+8, end)
	assert.Equal(t, []byte("12345678"), <-pongs)
	assert.Equal(t, []string{"12345678"}, pings.payloads())
}

// The rest of a part-written ping is bounded by the timeout given: a peer
// that takes no more fails the connection then, as a write stalled past
// its timeout does, rather than holding the caller.
func TestTryPingSpanPartWriteBoundedByTimeout(t *testing.T) {
	a, _ := smallWindowPair(t)
	c := newConn(connConfig{nc: a, client: true, noIdleReads: true})
	defer c.CloseNow()
	w := &c.wr.now
	fillSendBuffer(t, a.(*net.TCPConn))
	w.fn = func(uintptr) bool {
		w.n = 1 // as if the kernel had had room for one byte more
		return true
	}
	_, sent, err := c.TryPingSpan([]byte("12345678"), c.BytesWritten(), 50*time.Millisecond)
	require.Error(t, err)
	assert.True(t, sent, "a part went: the ping was attempted")
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, StatusAbnormalClosure, ce.Code)
	assert.Error(t, c.Err(), "the connection failed")
}

// A ping sent at once, and its pong, allocate nothing.
func TestTryPingSpanAllocatesNothing(t *testing.T) {
	pongs := make(chan struct{}, 1)
	cc, sc := connPair(t, connConfig{onPong: func([]byte) { pongs <- struct{}{} }}, connConfig{})
	go func() { _, _, _ = sc.Read(context.Background()) }()
	go func() { _, _, _ = cc.Read(context.Background()) }()
	p := []byte("12345678")
	allocs := testing.AllocsPerRun(200, func() {
		_, sent, err := cc.TryPingSpan(p, cc.BytesWritten(), time.Minute)
		require.NoError(t, err)
		require.True(t, sent)
		<-pongs
	})
	assert.LessOrEqual(t, allocs, float64(raceAllocs))
}
