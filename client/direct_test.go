package client_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// TestReadIntoReadsWithoutAllocating: a program that passes each payload
// back to ReadInto, or the same slice to ReadMany (at 1000 B), receives
// in order, intact, without allocating: small messages taken straight off
// the connection's buffer, and messages too large for that (64 KiB and
// more) handed over by the reader.
func TestReadIntoReadsWithoutAllocating(t *testing.T) {
	for _, size := range []int{64, 1000, 70 << 10} {
		t.Run(sizeName(size), func(t *testing.T) {
			ctx := testCtx(t)
			p := newPusher(t, size)
			c := start(t, ctx, nil, client.Options{URL: p.url(), DisableHeartbeat: true, InboundPolicy: client.InboundWait})
			var buf []byte
			var last uint64
			ms := make([]client.Inbound, 16)
			var batch []client.Inbound
			read := func() {
				if size == 1000 { // ReadMany
					if len(batch) == 0 {
						n, err := c.ReadMany(ctx, ms)
						require.NoError(t, err)
						batch = ms[:n]
					}
					nextInOrder(t, batch[0], nil, size, &last)
					batch = batch[1:]
					return
				}
				m, err := c.ReadInto(ctx, buf)
				nextInOrder(t, m, err, size, &last)
				buf = m.Payload
			}
			for range 500 { // warm up: buffers circulate
				read()
			}
			allocs := testing.AllocsPerRun(1000, read)
			assert.Zero(t, allocs, "allocations per message read")
		})
	}
}

// TestReadIntoOwnership: the payloads ReadInto returns are the program's.
// One the program keeps stays intact however many messages follow, and
// none shares memory with another it keeps, whether it came straight off
// the connection into the dst passed, or from the reader; a dst the
// program gave up may be reused.
func TestReadIntoOwnership(t *testing.T) {
	ctx := testCtx(t)
	p := newPusher(t, 100)
	c := start(t, ctx, nil, client.Options{URL: p.url(), DisableHeartbeat: true, InboundPolicy: client.InboundWait, InboundBuffer: 8})
	held := map[*byte][]byte{}
	var spare []byte
	for i := range 6000 {
		var dst []byte
		if i%2 == 0 {
			dst, spare = spare, nil // given up: the Client's now
		}
		m, err := c.ReadInto(ctx, dst)
		require.NoError(t, err)
		_, ok := stampOf(m.Payload)
		require.True(t, ok, "message %d damaged", i)
		d := unsafe.SliceData(m.Payload)
		if _, dup := held[d]; dup {
			t.Fatalf("message %d shares memory with a payload the program keeps", i)
		}
		switch {
		case i%5 == 0:
			held[d] = m.Payload // kept to the end
		case spare == nil:
			spare = m.Payload
		}
	}
	for _, h := range held {
		_, ok := stampOf(h)
		require.True(t, ok, "a kept payload changed")
	}
}

// TestReadTakesMessagesOnTheCallersGoroutine: while the program keeps up
// with a fast feed, most messages are taken off the connection by Read
// itself, not handed over by the reader goroutine (the point of the
// direct path: it is what lets the Client's feed cost little more than
// the bare Conn's). The Observer sees each message once, one at a time,
// on whichever goroutine took it.
func TestReadTakesMessagesOnTheCallersGoroutine(t *testing.T) {
	ctx := testCtx(t)
	p := newPusher(t, 64)
	obs := &goroutineObserver{}
	c := start(t, ctx, nil, client.Options{URL: p.url(), DisableHeartbeat: true, InboundPolicy: client.InboundWait, Observer: obs})
	const n = 20000
	var buf []byte
	for i := range n {
		m, err := c.ReadInto(ctx, buf)
		require.NoError(t, err)
		seq, ok := stampOf(m.Payload)
		require.True(t, ok)
		require.Equal(t, uint64(i+1), seq)
		buf = m.Payload
	}
	require.NoError(t, c.Close())
	assert.False(t, obs.overlapped.Load(), "MessageReceived ran twice at once")
	assert.GreaterOrEqual(t, obs.seen.Load(), int64(n))
	t.Logf("%d of %d messages taken on the reading goroutine", obs.byReader.Load(), obs.seen.Load())
	assert.Less(t, obs.byReader.Load(), obs.seen.Load()/2, "most messages went through the reader goroutine")
}

// goroutineObserver counts the messages the reader goroutine took, from
// MessageReceived's stack, and whether two calls ever overlapped.
type goroutineObserver struct {
	client.NopObserver
	seen, byReader atomic.Int64
	in             atomic.Int32
	overlapped     atomic.Bool
}

func (o *goroutineObserver) MessageReceived(transport.MessageType, int) {
	if o.in.Add(1) != 1 {
		o.overlapped.Store(true)
	}
	var stack [4 << 10]byte
	if bytes.Contains(stack[:runtime.Stack(stack[:], false)], []byte("client.(*Client).readLoop")) {
		o.byReader.Add(1)
	}
	o.seen.Add(1)
	o.in.Add(-1)
}

// TestReaderResumesWhenTheProgramStopsReading: a program that read part
// of a burst on its own goroutine and then stops reading must not leave
// what follows the burst unread. Here that is the acknowledgement Flush
// waits for: the reader, which stepped back while the program read, has
// to come back, read through the burst (dropping the oldest, by the
// policy) and read the ack.
func TestReaderResumesWhenTheProgramStopsReading(t *testing.T) {
	ctx := testCtx(t)
	const burst = 4000
	goAhead := make(chan struct{})
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := transport.Accept(w, r, &transport.AcceptOptions{NoIdleReads: true})
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		defer conn.CloseNow()
		msg := make([]byte, 64)
		for i := uint64(1); i <= burst; i++ {
			stamp(msg, i)
			if conn.WriteBuffered(ctx, transport.MessageBinary, msg) != nil {
				return
			}
		}
		if conn.Flush(ctx) != nil {
			return
		}
		// The program's message, which it waits to see acknowledged.
		_, p, err := conn.Read(ctx)
		if err != nil {
			return
		}
		select {
		case <-goAhead:
		case <-ctx.Done():
			return
		}
		ack := binary.BigEndian.AppendUint64([]byte("ack"), binary.BigEndian.Uint64(p))
		if conn.Write(ctx, transport.MessageBinary, ack) != nil {
			return
		}
		_, _, _ = conn.Read(ctx) // until the Client closes
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		wg.Wait()
	})
	c := start(t, ctx, nil, client.Options{
		URL: "ws" + srv.URL[len("http"):], DisableHeartbeat: true,
		Delivery: client.AtLeastOnce, AckExtractor: parseAck, InboundBuffer: 16,
	})
	var buf []byte
	for range 100 {
		m, err := c.ReadInto(ctx, buf)
		require.NoError(t, err)
		buf = m.Payload
	}
	seq, err := c.Send(ctx, transport.MessageBinary, binary.BigEndian.AppendUint64(nil, 1))
	require.NoError(t, err)
	require.Equal(t, uint64(1), seq)
	close(goAhead) // the program reads no more from here on
	require.NoError(t, c.Flush(ctx), "the ack behind the burst was never read")
	assert.Positive(t, c.Stats().InboundDropped, "the reader read through the burst")
}

// TestReadIntoAfterTheEnd: once the session has ended, ReadInto returns
// what was received, then the end error with an empty payload.
func TestReadIntoAfterTheEnd(t *testing.T) {
	ctx := testCtx(t)
	p := newCuttingPusher(t, 64, 10)
	c := start(t, ctx, nil, client.Options{URL: p.url(), DisableHeartbeat: true, InboundPolicy: client.InboundWait, Backoff: fastBackoff()})
	waitStats(t, ctx, c, func(s client.Stats) bool { return s.InboundDepth > 0 })
	require.NoError(t, c.Close())
	buf := make([]byte, 10, 128)
	for {
		m, err := c.ReadInto(context.Background(), buf)
		if err != nil {
			require.ErrorIs(t, err, client.ErrClosed)
			require.Empty(t, m.Payload)
			return
		}
		_, ok := stampOf(m.Payload)
		require.True(t, ok)
		buf = m.Payload
	}
}

// TestReadManyOwnership: ReadMany's payloads are the program's: the ones
// it keeps (taking them out of the slice) stay intact however many
// messages follow, none shares memory with another kept one, and the
// slots it leaves in the slice are reused.
func TestReadManyOwnership(t *testing.T) {
	ctx := testCtx(t)
	p := newPusher(t, 100)
	c := start(t, ctx, nil, client.Options{URL: p.url(), DisableHeartbeat: true, InboundPolicy: client.InboundWait, InboundBuffer: 8})
	n, err := c.ReadMany(ctx, nil)
	require.NoError(t, err)
	require.Zero(t, n, "no room, no message")
	held := map[*byte][]byte{}
	ms := make([]client.Inbound, 7)
	var last uint64
	for got := 0; got < 6000; {
		n, err := c.ReadMany(ctx, ms)
		require.NoError(t, err)
		require.Positive(t, n)
		for i := range ms[:n] {
			nextInOrder(t, ms[i], nil, 100, &last)
			d := unsafe.SliceData(ms[i].Payload)
			if _, dup := held[d]; dup {
				t.Fatalf("message %d shares memory with a payload the program keeps", last)
			}
			if got%5 == 0 {
				held[d] = ms[i].Payload // kept to the end: out of the slice
				ms[i].Payload = nil
			}
			got++
		}
	}
	for _, h := range held {
		_, ok := stampOf(h)
		require.True(t, ok, "a kept payload changed")
	}
	require.NoError(t, c.Close())
	for {
		n, err := c.ReadMany(context.Background(), ms)
		if err != nil {
			require.ErrorIs(t, err, client.ErrClosed)
			require.Zero(t, n)
			return
		}
		require.Positive(t, n)
	}
}
