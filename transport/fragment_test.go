package transport

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wireFrame is what a test expects of one frame on the wire.
type wireFrame struct {
	op  Opcode
	fin bool
	rsv byte
	n   int
}

// framesOf parses a server's (unmasked) or client's output into frames and
// their payloads.
func framesOf(t *testing.T, out []byte) ([]wireFrame, [][]byte) {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(out))
	var fs []wireFrame
	var ps [][]byte
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return fs, ps
		}
		h, p := readFrame(t, br)
		fs = append(fs, wireFrame{op: h.Opcode, fin: h.Fin, rsv: h.Rsv, n: len(p)})
		ps = append(ps, p)
	}
}

// memWriter returns a Conn whose frames land in the returned memConn.
func memWriter(t *testing.T, cfg connConfig) (*Conn, *memConn) {
	t.Helper()
	m := &memConn{}
	cfg.nc = m
	c := newConn(cfg)
	t.Cleanup(func() { c.CloseNow() })
	return c, m
}

// TestFragmentFrames_Section5_4 checks the frames a message becomes: one
// frame up to the fragment size, fragments beyond it with the opcode on the
// first, continuation on the rest and FIN on the last only; none when
// fragmentation is off.
func TestFragmentFrames_Section5_4(t *testing.T) {
	const k = 1 << 10
	tests := []struct {
		name   string
		size   int // FragmentSize as the option gives it
		client bool
		typ    MessageType
		n      int
		want   []wireFrame
	}{
		{"default splits at 32 KiB", 0, false, MessageBinary, 70 * k, []wireFrame{
			{OpBinary, false, 0, 32 * k}, {OpContinuation, false, 0, 32 * k}, {OpContinuation, true, 0, 6 * k}}},
		{"default leaves 32 KiB whole", 0, false, MessageBinary, 32 * k, []wireFrame{{OpBinary, true, 0, 32 * k}}},
		{"small size", 100, false, MessageText, 250, []wireFrame{
			{OpText, false, 0, 100}, {OpContinuation, false, 0, 100}, {OpContinuation, true, 0, 50}}},
		{"exact multiple", 100, true, MessageBinary, 300, []wireFrame{
			{OpBinary, false, 0, 100}, {OpContinuation, false, 0, 100}, {OpContinuation, true, 0, 100}}},
		{"client, masked", 4 * k, true, MessageBinary, 9 * k, []wireFrame{
			{OpBinary, false, 0, 4 * k}, {OpContinuation, false, 0, 4 * k}, {OpContinuation, true, 0, k}}},
		{"negative turns it off", -1, false, MessageBinary, 70 * k, []wireFrame{{OpBinary, true, 0, 70 * k}}},
		{"empty message", 100, false, MessageBinary, 0, []wireFrame{{OpBinary, true, 0, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, m := memWriter(t, connConfig{client: tc.client, fragmentSize: tc.size})
			msg := bytes.Repeat([]byte("abcdefghij"), tc.n/10+1)[:tc.n]
			require.NoError(t, c.Write(context.Background(), tc.typ, msg))
			got, ps := framesOf(t, m.out.Bytes())
			assert.Equal(t, tc.want, got)
			assert.Equal(t, string(msg), string(bytes.Join(ps, nil)), "payloads reassemble to the message")
		})
	}
}

// A Writer's write longer than the fragment size is split too, and none of
// its fragments is final before Close.
func TestFragmentWriter(t *testing.T) {
	c, m := memWriter(t, connConfig{fragmentSize: 100})
	w, err := c.Writer(context.Background(), MessageBinary)
	require.NoError(t, err)
	_, err = w.Write(make([]byte, 250))
	require.NoError(t, err)
	_, err = w.Write(make([]byte, 10))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	got, _ := framesOf(t, m.out.Bytes())
	assert.Equal(t, []wireFrame{
		{OpBinary, false, 0, 100}, {OpContinuation, false, 0, 100}, {OpContinuation, false, 0, 50},
		{OpContinuation, false, 0, 10}, {OpContinuation, true, 0, 0},
	}, got)
}

// RFC 7692 §6.1: a compressed message sets RSV1 on its first frame only;
// the fragments, joined, inflate to the message.
func TestFragmentCompressed_RFC7692_Section6_1(t *testing.T) {
	cfg := deflateCfg(DeflateParams{}, CompressionOptions{})
	cfg.fragmentSize = 256
	c, m := memWriter(t, cfg)
	msg := make([]byte, 2000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range msg {
		msg[i] = byte(rng.IntN(256)) // incompressible: the output outgrows a fragment
	}
	require.NoError(t, c.Write(context.Background(), MessageBinary, msg))
	got, ps := framesOf(t, m.out.Bytes())
	require.Greater(t, len(got), 2, "the compressed message went out as fragments")
	for i, f := range got {
		assert.Equal(t, i == 0, f.rsv == rsv1, "RSV1 on frame %d", i)
		assert.Equal(t, i == len(got)-1, f.fin, "FIN on frame %d", i)
		assert.LessOrEqual(t, f.n, 256)
	}
	inflated, err := inflateAll(bytes.Join(ps, nil))
	require.NoError(t, err)
	assert.Equal(t, msg, inflated)
}

// Large fragmented messages, compressed or not, written concurrently in
// both directions with pings, arrive whole and in order at a peer that is
// also this package's reader.
func TestFragmentRoundTrip(t *testing.T) {
	for _, deflate := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "deflate"}[deflate], func(t *testing.T) {
			cfg := connConfig{fragmentSize: 1000}
			if deflate {
				cfg = deflateCfg(DeflateParams{}, CompressionOptions{})
				cfg.fragmentSize = 1000
			}
			cc, sc := connPair(t, cfg, cfg)
			ctx := context.Background()
			msgs := make([][]byte, 20)
			for i := range msgs {
				msgs[i] = bytes.Repeat([]byte{byte('a' + i)}, 500+i*997)
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for range 20 {
						if cc.Ping(ctx, []byte("p")) != nil {
							return
						}
					}
				})
			}
			wg.Go(func() {
				for _, m := range msgs {
					if !assert.NoError(t, cc.Write(ctx, MessageText, m)) {
						return
					}
				}
			})
			for i, want := range msgs {
				typ, got, err := sc.Read(ctx)
				require.NoError(t, err)
				assert.Equal(t, MessageText, typ)
				require.Equal(t, want, got, "message %d", i)
			}
			wg.Wait()
		})
	}
}

// gateConn is a net.Conn whose writes wait for the test: each Write hands
// its bytes over on writes and returns only when the test sends on next.
type gateConn struct {
	memConn
	writes chan []byte
	next   chan struct{}
}

func (g *gateConn) Write(p []byte) (int, error) {
	g.writes <- bytes.Clone(p)
	<-g.next
	return len(p), nil
}

// A ping written while a long message is going out goes out between two of
// its fragments, not after the message: the frame lock lets it in before
// the message's next fragment. The message is held in its second network
// write while the ping waits for the lock.
func TestFragmentPingInterleaves(t *testing.T) {
	g := &gateConn{writes: make(chan []byte), next: make(chan struct{})}
	c := newConn(connConfig{nc: g, fragmentSize: 1000, noIdleReads: true})
	t.Cleanup(func() { c.CloseNow() })
	ctx := context.Background()
	msg := bytes.Repeat([]byte("x"), 20000)

	done := make(chan error, 2)
	go func() { done <- c.Write(ctx, MessageBinary, msg) }()
	var out bytes.Buffer
	out.Write(<-g.writes) // the first buffer of fragments
	g.next <- struct{}{}
	out.Write(<-g.writes) // held here, in the middle of the message
	go func() { done <- c.Ping(ctx, []byte("ping")) }()
	for c.wr.frameSem.waiters.Load() == 0 {
		runtime.Gosched() // until the ping waits for the frame lock
	}
	g.next <- struct{}{}
	for n := 0; n < 2; {
		select {
		case b := <-g.writes:
			out.Write(b)
			g.next <- struct{}{}
		case err := <-done:
			require.NoError(t, err)
			n++
		}
	}
	frames, ps := framesOf(t, out.Bytes())
	ping := -1
	var data [][]byte
	for i, f := range frames {
		if f.op == OpPing {
			ping = i
			continue
		}
		data = append(data, ps[i])
	}
	require.GreaterOrEqual(t, ping, 1, "a ping went out")
	assert.False(t, frames[ping-1].fin, "the ping follows a fragment that is not the last")
	assert.Less(t, ping, len(frames)-1, "the ping precedes the message's end")
	assert.Equal(t, msg, bytes.Join(data, nil))
}

// A message whose later fragment cannot be written (its context ends while
// it waits for the frame lock, held by a ping stuck on the network) cannot
// be finished: the connection fails rather than leave the peer
// mid-message.
func TestFragmentAbandonedFailsConnection(t *testing.T) {
	g := &gateConn{writes: make(chan []byte), next: make(chan struct{})}
	c := newConn(connConfig{nc: g, fragmentSize: 1000, noIdleReads: true})
	t.Cleanup(func() { c.CloseNow() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Write(ctx, MessageBinary, make([]byte, 20000)) }()
	<-g.writes // the message holds the frame lock in a network write
	pinged := make(chan error, 1)
	go func() { pinged <- c.Ping(context.Background(), nil) }()
	for c.wr.frameSem.waiters.Load() == 0 {
		runtime.Gosched() // until the ping waits for the frame lock
	}
	for {
		g.next <- struct{}{}
		if b := <-g.writes; bytes.HasSuffix(b, []byte{0x89, 0}) {
			break // the ping holds the frame lock in its network write
		}
	}
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	<-c.Done()
	var ce *CloseError
	require.ErrorAs(t, c.Err(), &ce)
	assert.Equal(t, StatusAbnormalClosure, ce.Code)
	assert.Equal(t, "write abandoned mid-message", ce.Reason)
	close(g.next)
	<-pinged
}

var _ net.Conn = (*gateConn)(nil)

// FuzzFragmentRoundTrip writes messages in fragments of any size, plain or
// compressed, text or binary, from either side, and reads them back with
// this package's reader: every frame on the wire fits the fragment size
// (compressed output may be split anywhere, a text message in the middle
// of a rune), RSV1 marks only a compressed message's first frame, and
// what arrives is what was sent.
func FuzzFragmentRoundTrip(f *testing.F) {
	f.Add([]byte("hello, fragmented world\x00second\x00\x00"), uint16(4), uint8(0))
	f.Add([]byte("h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac\xe2\x82\xac\x00\xf0\x9f\x98\x80"), uint16(2), uint8(1))
	f.Add(bytes.Repeat([]byte("abcdefgh"), 300), uint16(100), uint8(2|4))
	f.Fuzz(func(t *testing.T, data []byte, size uint16, flags uint8) {
		frag := int(size)%512 + 1
		client := flags&4 != 0
		cfg := connConfig{}
		if flags&2 != 0 {
			cfg = deflateCfg(DeflateParams{}, CompressionOptions{Threshold: -1})
		}
		cfg.nc, cfg.client, cfg.fragmentSize, cfg.noIdleReads = &memConn{}, client, frag, true
		w := newConn(cfg)
		defer w.CloseNow()
		wire := cfg.nc.(*memConn)
		ctx := context.Background()
		msgs := bytes.Split(data, []byte{0})
		types := make([]MessageType, len(msgs))
		for i, m := range msgs {
			types[i] = MessageBinary
			if flags&1 != 0 && utf8.Valid(m) {
				types[i] = MessageText
			}
			if err := w.Write(ctx, types[i], m); err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
		}
		frames, _ := framesOf(t, wire.out.Bytes())
		first := true
		for i, fr := range frames {
			if fr.n > frag {
				t.Fatalf("frame %d: %d bytes, over the fragment size %d", i, fr.n, frag)
			}
			if fr.rsv != 0 && !first {
				t.Fatalf("frame %d: RSV1 on a continuation", i)
			}
			first = fr.fin
		}
		rcfg := cfg
		rcfg.nc, rcfg.client = &memConn{in: bytes.NewReader(wire.out.Bytes())}, !client
		r := newConn(rcfg)
		defer r.CloseNow()
		for i, want := range msgs {
			typ, got, err := r.Read(ctx)
			if err != nil {
				t.Fatalf("read %d: %v", i, err)
			}
			if typ != types[i] || !bytes.Equal(got, want) {
				t.Fatalf("message %d: got %v %q, want %v %q", i, typ, got, types[i], want)
			}
		}
	})
}
