package transport

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPingsAloneMakeNoWriteBuffer: a connection whose only writes are
// pings and pongs (an idle one, heartbeat on) never makes its 4 KiB write
// buffer, on either side, and the frames are still well formed: every
// ping is answered with its payload. A data write afterwards makes the
// buffer and mixes with control frames as before.
func TestPingsAloneMakeNoWriteBuffer(t *testing.T) {
	pong := make(chan []byte, 1)
	cc, sc := connPair(t, connConfig{onPong: func(p []byte) { pong <- bytes.Clone(p) }}, connConfig{})
	ctx := context.Background()
	got := make(chan []byte, 1)
	go func() { // answers pings, then reads the data message
		_, p, err := sc.Read(ctx)
		if err == nil {
			got <- p
		}
	}()
	go func() { _, _, _ = cc.Read(ctx) }() // sees pongs
	for i := range 50 {
		p := []byte{byte(i), 'p', 'i', 'n', 'g'}
		require.NoError(t, cc.Ping(ctx, p))
		assert.Equal(t, p, <-pong)
	}
	full := bytes.Repeat([]byte{7}, MaxControlPayload)
	require.NoError(t, cc.Ping(ctx, full))
	assert.Equal(t, full, <-pong)
	assert.Nil(t, cc.wr.buf, "client write buffer")
	assert.Nil(t, sc.wr.buf, "server write buffer")
	assert.Nil(t, cc.wr.keys.rng, "client key generator: pings draw their keys one at a time")
	require.NoError(t, cc.Write(ctx, MessageBinary, []byte("data")))
	assert.Equal(t, "data", string(<-got))
	assert.NotNil(t, cc.wr.buf)
	assert.NotNil(t, cc.wr.keys.rng)
}

// Control frames sent before any data frame are masked with keys drawn
// one at a time, fresh for every frame (RFC 6455 §5.3), and the server
// unmasks them correctly (the pongs above echo their payloads).
func TestPingKeysFreshWithoutGenerator(t *testing.T) {
	c, raw := rawServer(t, connConfig{})
	ctx := context.Background()
	seen := map[[4]byte]bool{}
	go func() {
		for range 32 {
			if c.Ping(ctx, []byte("p")) != nil {
				return
			}
		}
	}()
	br := bufio.NewReader(raw)
	for range 32 {
		h, p := readFrame(t, br)
		require.Equal(t, OpPing, h.Opcode)
		require.True(t, h.Masked)
		require.Equal(t, "p", string(p), "unmasked payload")
		seen[h.Mask] = true
	}
	require.Greater(t, len(seen), 30, "masking keys repeat: %d distinct of 32", len(seen))
	require.Nil(t, c.wr.keys.rng)
}

// TestQuietConnectionHoldsNoReadBuffer: once a connection's traffic is
// only control frames, its reader waits with the inline tiny buffer and
// the allocated one is let go; the next data message brings a full-size
// buffer back and arrives whole.
func TestQuietConnectionHoldsNoReadBuffer(t *testing.T) {
	pong := make(chan []byte, 1)
	cc, sc := connPair(t, connConfig{onPong: func(p []byte) { pong <- bytes.Clone(p) }}, connConfig{})
	ctx := context.Background()
	got := make(chan []byte, 1)
	go func() { _, _, _ = sc.Read(ctx) }() // answers pings
	go func() {
		_, p, err := cc.Read(ctx) // sees pongs, then a data message
		if err == nil {
			got <- p
		}
	}()
	for i := range 5 {
		require.NoError(t, cc.Ping(ctx, []byte{byte(i), 1, 2, 3, 4, 5, 6, 7}))
		<-pong
	}
	// The reader is back in its read, waiting for more, with the tiny
	// buffer: the pong that came before left it quiet.
	require.NoError(t, cc.Ping(ctx, []byte("last")))
	<-pong
	msg := bytes.Repeat([]byte("data"), 1000)
	require.NoError(t, sc.Write(ctx, MessageBinary, msg))
	assert.Equal(t, msg, <-got)
	assert.Equal(t, DefaultBufferSize, cc.rd.br.size(), "a full-size buffer is back")
}

// TestQuietReadBufferIsTiny: after a read that brought only a control
// frame's worth, and was consumed, the next fill uses the inline buffer.
func TestQuietReadBufferIsTiny(t *testing.T) {
	var b readBuffer
	src := &chunkReader{chunks: [][]byte{make([]byte, 10), make([]byte, 5), make([]byte, 100)}}
	b.init(src, nil, 0)
	p := make([]byte, 10)
	n, err := b.Read(p)
	require.NoError(t, err)
	require.Equal(t, 10, n)
	assert.Equal(t, DefaultBufferSize, b.size())
	n, err = b.Read(p)
	require.NoError(t, err)
	require.Equal(t, 5, n)
	assert.Equal(t, tinyBuffer, b.size(), "idle: the tiny buffer")
	got := 0
	for got < 100 {
		n, err = b.Read(p)
		require.NoError(t, err)
		got += n
	}
	assert.Equal(t, DefaultBufferSize, b.size(), "traffic: back to the full size")
}

// chunkReader returns its chunks one Read at a time.
type chunkReader struct{ chunks [][]byte }

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

// TestReleaseIdle: a connection that wrote data gives its write buffer
// and key generator back at the second ReleaseIdle after its last data
// frame (the first only notes that none came since), and makes them again
// for the next data message, which arrives whole. Calls between data
// messages take nothing away, pings and pongs do not count as data, and
// buffered frames not yet flushed are never dropped.
func TestReleaseIdle(t *testing.T) {
	pong, serverPong := make(chan []byte, 1), make(chan struct{}, 8)
	cc, sc := connPair(t, connConfig{onPong: func(p []byte) { pong <- bytes.Clone(p) }},
		connConfig{onPong: func([]byte) { serverPong <- struct{}{} }})
	ctx := context.Background()
	got := make(chan []byte, 16)
	go func() { // answers pings, passes data messages on
		for {
			_, p, err := sc.Read(ctx)
			if err != nil {
				return
			}
			got <- p
		}
	}()
	go func() { _, _, _ = cc.Read(ctx) }() // sees pongs, answers the server's pings
	send := func(msg string) {
		require.NoError(t, cc.Write(ctx, MessageBinary, []byte(msg)))
		assert.Equal(t, msg, string(<-got))
	}
	assert.True(t, cc.ReleaseIdle(), "never written: nothing held")
	send("first")
	buf := cap(cc.wr.buf)
	require.Positive(t, buf)
	for i := range 5 { // a write between every two calls: kept
		assert.False(t, cc.ReleaseIdle(), "round %d", i)
		send("between")
		assert.Equal(t, buf, cap(cc.wr.buf), "round %d", i)
		assert.NotNil(t, cc.wr.keys.rng)
	}
	assert.False(t, cc.ReleaseIdle(), "one call after data: kept")
	require.NoError(t, cc.Ping(ctx, []byte("c")))
	<-pong
	for range 3 { // the client answers each with a pong of its own
		require.NoError(t, sc.Ping(ctx, []byte("s")))
		<-serverPong
	}
	// The server can have a pong before the client's reader has let go
	// of the frame lock it wrote it under, and ReleaseIdle never waits
	// for it: a ping of the test's own takes the lock after the pongs.
	require.NoError(t, cc.Ping(ctx, []byte("d")))
	<-pong
	assert.True(t, cc.ReleaseIdle(), "a whole period without data: let go")
	assert.Nil(t, cc.wr.buf)
	assert.Nil(t, cc.wr.keys.rng, "the key generator too")
	send("after")
	assert.Equal(t, buf, cap(cc.wr.buf), "made again")
	assert.NotNil(t, cc.wr.keys.rng)

	require.NoError(t, cc.WriteBuffered(ctx, MessageBinary, []byte("held")))
	assert.False(t, cc.ReleaseIdle())
	assert.False(t, cc.ReleaseIdle(), "a buffered frame is never dropped")
	require.NoError(t, cc.Flush(ctx))
	assert.Equal(t, "held", string(<-got))
}
