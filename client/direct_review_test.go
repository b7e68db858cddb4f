package client

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
)

// feed is what feedServer sends, and how.
type feed struct {
	size     int  // bytes a message, at least 8
	compress bool // negotiate permessage-deflate
	// deaf: never read, so the client's writes stall once the sockets'
	// buffers (kept small) are full, and no closing handshake completes.
	deaf bool
	// bigEvery, when positive: every bigEvery-th message is bigSize bytes.
	bigEvery uint64
}

// bigSize is the size of feed's big messages.
const bigSize = 1 << 20

// feedServer starts a loopback server that pushes binary messages to
// every connection as fast as it can, each stamped with its number (from
// 1, little-endian, in its first 8 bytes; the rest zeros, so it
// compresses), and unless deaf reads on the side, so a client's closing
// handshake completes. It stops when the test ends, after the test's own
// cleanups.
func feedServer(t *testing.T, f feed) string {
	var wg sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		o := &transport.AcceptOptions{NoIdleReads: true, FragmentSize: -1}
		if f.compress {
			o.Compression = &transport.CompressionOptions{}
		}
		conn, err := transport.Accept(w, r, o)
		if err != nil {
			return
		}
		read := make(chan struct{})
		go func() {
			defer close(read)
			for !f.deaf {
				if _, _, err := conn.Read(context.Background()); err != nil {
					return
				}
			}
		}()
		defer func() { _ = conn.CloseNow(); <-read }()
		small, big := make([]byte, max(f.size, 8)), make([]byte, bigSize)
		for i := uint64(1); ; i++ {
			msg := small
			if f.bigEvery > 0 && i%f.bigEvery == 0 {
				msg = big
			}
			binary.LittleEndian.PutUint64(msg, i)
			if conn.WriteBuffered(context.Background(), transport.MessageBinary, msg) != nil {
				return
			}
			if i%64 == 0 && conn.Flush(context.Background()) != nil {
				return
			}
		}
	}))
	if f.deaf {
		srv.Listener = smallReadBuffers{srv.Listener}
	}
	srv.Start()
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); wg.Wait() })
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// smallReadBuffers accepts TCP connections with a small receive buffer.
type smallReadBuffers struct{ net.Listener }

func (l smallReadBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10)
	}
	return c, err
}

// seqOf is the number feedServer stamped on p.
func seqOf(p []byte) uint64 { return binary.LittleEndian.Uint64(p) }

// onReader reports whether the calling goroutine is a connection's reader.
func onReader() bool {
	var stack [8 << 10]byte
	return bytes.Contains(stack[:runtime.Stack(stack[:], false)], []byte("client.(*Client).readLoop"))
}

// errHookBoom is what the hooks in these tests panic with.
var errHookBoom = errors.New("hook panicked")

// panicOnCaller is an Observer whose MessageReceived panics once, the
// first time it runs on a goroutine other than the reader (a Read taking
// a message directly).
type panicOnCaller struct {
	NopObserver
	armed atomic.Bool
}

func (o *panicOnCaller) MessageReceived(transport.MessageType, int) {
	if o.armed.Load() && !onReader() && o.armed.CompareAndSwap(true, false) {
		panic(errHookBoom)
	}
}

// TestMessageReceivedPanicInReadLeavesTheClientWorking: MessageReceived
// is not contained, so a panic in it now surfaces from Read when Read took
// the message off the connection itself, on the program's goroutine,
// where the program may recover it (net/http recovers a handler's
// panics). The Client must survive that: the reader reads on, Read
// returns the next messages and Close returns. It must not keep the
// direct path's lock (direct.side) locked for good, which stops the
// reader for ever (and Close, which waits for the reader, with it).
func TestMessageReceivedPanicInReadLeavesTheClientWorking(t *testing.T) {
	ctx := untilTestDeadline(t)
	url := feedServer(t, feed{size: 64})
	obs := &panicOnCaller{}
	obs.armed.Store(true)
	c, err := Start(ctx, Options{URL: url, DisableHeartbeat: true, InboundPolicy: InboundWait, Observer: obs})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	// unwedge frees the lock a panicking Read left locked, only so that a
	// failing test can end (Close waits for the reader).
	unwedge := func() {
		c.inbox.direct.side.TryLock()
		c.inbox.direct.side.Unlock()
	}
	var buf []byte
	var last uint64
	for obs.armed.Load() {
		func() {
			defer func() {
				if v := recover(); v != nil && v != errHookBoom {
					panic(v)
				}
			}()
			m, err := c.ReadInto(ctx, buf)
			require.NoError(t, err)
			last, buf = seqOf(m.Payload), m.Payload
		}()
	}
	for range 200 {
		m, err := c.ReadInto(ctx, buf)
		if err != nil {
			unwedge()
			t.Fatalf("Read after the recovered panic: %v (the reader never read again)", err)
		}
		require.Greater(t, seqOf(m.Payload), last)
		last, buf = seqOf(m.Payload), m.Payload
	}
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case <-closed: // whether the closing handshake completed is not the point
	case <-ctx.Done():
		unwedge()
		<-closed
		t.Fatal("Close never returned after the recovered panic")
	}
}

// TestAckExtractorPanicInReadEndsDelivery: a panicking AckExtractor fails
// the session, and the Client then stops: the program's state is unknown
// after a panic (docs/architecture.md on callbacks), so AckExtractor is
// not run again, and no message after the one it panicked on reaches the
// program, as when it panics on the reader goroutine; what reaches it
// comes in order without a gap. Here it panics on a message Read took
// itself. The reader must not go on reading, running AckExtractor and
// delivering what follows; and once the reader has stopped (the failing
// session cancels its wait for room in the inbox, and the batch it held
// is lost), Read must not take later messages off the connection itself,
// past the lost ones (seen as gaps such as 259 → 261 on the old code).
func TestAckExtractorPanicInReadEndsDelivery(t *testing.T) {
	ctx := untilTestDeadline(t)
	url := feedServer(t, feed{size: 64})
	var panickedOn atomic.Uint64
	var after atomic.Int64
	ext := func(_ transport.MessageType, p []byte) (uint64, bool) {
		if panickedOn.Load() != 0 {
			after.Add(1)
			return 0, false
		}
		if !onReader() {
			panickedOn.Store(seqOf(p))
			panic(errHookBoom)
		}
		return 0, false
	}
	c, err := Start(ctx, Options{URL: url, DisableHeartbeat: true, InboundPolicy: InboundWait, InboundBuffer: 16, AckExtractor: ext})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	var buf []byte
	var next uint64 = 1
	var gaps, late []uint64
	for {
		m, err := c.ReadInto(ctx, buf)
		if err != nil {
			require.ErrorIs(t, err, ErrFailed)
			var pe *PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "AckExtractor", pe.Callback)
			break
		}
		seq := seqOf(m.Payload)
		if k := panickedOn.Load(); k != 0 && seq > k {
			late = append(late, seq)
		} else if seq != next {
			gaps = append(gaps, seq)
		}
		next = seq + 1
		buf = m.Payload
	}
	k := panickedOn.Load()
	require.NotZero(t, k)
	assert.Empty(t, gaps, "messages before %d that came after a gap", k)
	if len(late) > 0 {
		t.Errorf("%d messages read after AckExtractor panicked on message %d: %d to %d", len(late), k, late[0], late[len(late)-1])
		for i := 1; i < len(late); i++ {
			if late[i] != late[i-1]+1 {
				t.Errorf("and among them a gap: %d → %d", late[i-1], late[i])
			}
		}
	}
	assert.Zero(t, after.Load(), "AckExtractor calls after it panicked")
}

// TestReaderStepsBackOnlyFromWhatReadCanTake: the reader steps back from
// the buffer (waits, up to stepBackMax, for a Read to take messages
// itself) only when Read can take the next one: one TryReadInto takes. A
// compressed message, or one of 64 KiB or more (whole in a large fixed
// read buffer), Read cannot take: it waits for the reader, which stepped
// back for nothing, and the reader and the program take turns instead of
// overlapping (the reader never reads ahead while the program works on a
// message). Right after Read returns a message the reader handed over,
// the reader must be reading, never in stepBack.
func TestReaderStepsBackOnlyFromWhatReadCanTake(t *testing.T) {
	cases := map[string]struct {
		size     int
		compress bool
		bufSize  int
	}{
		"compressed": {size: 600, compress: true},
		"70KiB":      {size: 70 << 10, bufSize: 512 << 10},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := untilTestDeadline(t)
			url := feedServer(t, feed{size: tc.size, compress: tc.compress})
			compressed := make(chan bool, 1)
			o := Options{URL: url, DisableHeartbeat: true, InboundPolicy: InboundWait,
				Dial: transport.DialOptions{ReadBufferSize: tc.bufSize},
				OnConnect: func(_ context.Context, conn *transport.Conn) error {
					_, ok := conn.Compression()
					compressed <- ok
					return nil
				}}
			if tc.compress {
				o.Dial.Compression = &transport.CompressionOptions{}
			}
			c, err := Start(ctx, o)
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			require.Equal(t, tc.compress, <-compressed)
			var buf []byte
			stacks := make([]byte, 64<<10)
			steppedBack := 0
			for i := uint64(1); i <= 300; i++ {
				m, err := c.ReadInto(ctx, buf)
				require.NoError(t, err)
				require.Equal(t, i, seqOf(m.Payload))
				buf = m.Payload
				if bytes.Contains(stacks[:runtime.Stack(stacks, true)], []byte("client.(*inbox).stepBack")) {
					steppedBack++
				}
			}
			assert.Zero(t, steppedBack, "times the reader was found stepped back from a buffer Read cannot take from")
		})
	}
}

// TestCloseNeverLetsReadPassALostBatch: when Close cancels the reader's
// wait for room in the inbox (InboundWait), the batch the reader held is
// lost and the reader stops. Read then returns what the inbox holds and
// the end; it must not take messages off the connection itself past the
// lost batch, which leaves a gap in what the program receives. Here the
// writer is stuck in a write to a server that does not read, so the
// closing handshake (which would read and discard the rest) waits for it,
// and the connection's buffer stays open to Read meanwhile.
func TestCloseNeverLetsReadPassALostBatch(t *testing.T) {
	ctx := untilTestDeadline(t)
	url := feedServer(t, feed{size: 64, deaf: true})
	c, err := Start(ctx, Options{URL: url, DisableHeartbeat: true, InboundPolicy: InboundWait, InboundBuffer: 1,
		Dial: transport.DialOptions{
			CloseTimeout: 200 * time.Millisecond, // the grace Close gives the stuck writer
			// Room for more whole messages than the batch the reader
			// holds when it stalls.
			ReadBufferSize: 64 << 10,
			NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				conn, err := new(net.Dialer).DialContext(ctx, network, addr)
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetWriteBuffer(4 << 10)
				}
				return conn, err
			},
		}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	// Far more than the sockets' buffers take: the writer stays in it.
	_, err = c.Send(ctx, transport.MessageBinary, make([]byte, 8<<20))
	require.NoError(t, err)
	waitStalled(t, ctx, c)
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	var buf []byte
	next := uint64(1)
	var gaps []string
	for {
		m, err := c.ReadInto(ctx, buf)
		if err != nil {
			require.ErrorIs(t, err, ErrClosed)
			break
		}
		if seq := seqOf(m.Payload); seq != next {
			gaps = append(gaps, fmt.Sprintf("%d → %d", next-1, seq))
		}
		next, buf = seqOf(m.Payload)+1, m.Payload
	}
	<-closed
	assert.Empty(t, gaps, "gaps in what Read returned after Close")
}

// waitStalled waits until c's reader waits for room in the inbox.
func waitStalled(t *testing.T, ctx context.Context, c *Client) {
	t.Helper()
	for !c.Stats().ReaderStalled {
		select {
		case <-ctx.Done():
			t.Fatal("the reader never stalled")
		case <-yieldNow():
		}
	}
}

// yieldNow returns a channel closed by another goroutine: waiting on it
// lets the scheduler run others, without a clock.
func yieldNow() <-chan struct{} {
	ch := make(chan struct{})
	go close(ch)
	return ch
}

// TestReadNeverLendsALargeBufferForASmallMessage: a program that releases
// the large messages of a feed and keeps the small ones keeps small
// buffers. Read must not hand a small message over in a large buffer the
// program released (as the reader, by swap's rule, never does): each
// kept 64-byte message would pin a megabyte.
func TestReadNeverLendsALargeBufferForASmallMessage(t *testing.T) {
	ctx := untilTestDeadline(t)
	url := feedServer(t, feed{size: 64, bigEvery: 8})
	c, err := Start(ctx, Options{URL: url, DisableHeartbeat: true, InboundPolicy: InboundWait})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	var kept [][]byte
	worst, pinned := 0, 0
	for i := uint64(1); i <= 800; i++ {
		m, err := c.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, i, seqOf(m.Payload))
		if len(m.Payload) == bigSize {
			c.Release(m)
			continue
		}
		kept = append(kept, m.Payload)
		worst, pinned = max(worst, cap(m.Payload)), pinned+cap(m.Payload)
	}
	assert.LessOrEqual(t, worst, swapSlack, "capacity behind one of %d kept 64-byte payloads (%d KiB behind them all)", len(kept), pinned>>10)
}
