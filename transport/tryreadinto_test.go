package transport

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTryReadIntoAgreesWithBufferedMessages cuts a stream of frames of
// every kind at every byte and delivers the cut in one read: TryReadInto
// never reads the network (a memConn is not plain TCP, whose socket it
// reads without waiting: TestTryReadIntoTakesWhatTheSocketHolds), returns exactly the messages BufferedMessages
// counts (the same ones ReadInto would return next), and leaves anything
// else (a control frame, a fragment, a partial frame) to ReadInto, which
// then reads the rest of the stream as if TryReadInto had not been called.
func TestTryReadIntoAgreesWithBufferedMessages(t *testing.T) {
	big := bytes.Repeat([]byte("b"), 300)
	payloads := [][]byte{[]byte("one"), big, nil, []byte("frag"), []byte("last")}
	frames := [][]byte{
		frameBytes(true, 0, OpText, false, payloads[0]),
		frameBytes(true, 0, OpBinary, false, payloads[1]),
		frameBytes(true, 0, OpPing, false, []byte("p")),
		frameBytes(true, 0, OpBinary, false, payloads[2]),
		frameBytes(false, 0, OpText, false, []byte("fr")),
		frameBytes(true, 0, OpContinuation, false, []byte("ag")),
		frameBytes(true, 0, OpText, false, payloads[4]),
	}
	stream := bytes.Join(frames, nil)
	for cut := 0; cut <= len(stream); cut++ {
		src := &onceReader{b: stream[:cut]}
		c := newConn(connConfig{nc: &memConn{in: src}, client: true, readLimit: 1 << 10, noIdleReads: true})
		var got [][]byte
		var buf []byte
		var err error
		for err == nil {
			k := c.BufferedMessages(10)
			before := src.after
			for i := 0; ; i++ {
				typ, p, ok := c.TryReadInto(buf)
				require.Equal(t, before, src.after, "cut %d: TryReadInto read the network", cut)
				if !ok {
					require.Equal(t, k, i, "cut %d: BufferedMessages counted %d, TryReadInto returned %d", cut, k, i)
					require.Empty(t, p)
					break
				}
				require.True(t, typ == MessageText || typ == MessageBinary)
				got = append(got, bytes.Clone(p))
				buf = p
			}
			var p []byte
			if _, p, err = c.ReadInto(context.Background(), buf); err == nil {
				got = append(got, bytes.Clone(p))
				buf = p
			}
		}
		// What arrived came whole, in order, once.
		want := payloads[:0:0]
		for _, p := range payloads {
			if len(got) > len(want) {
				want = append(want, p)
			}
		}
		require.Equal(t, len(want), len(got), "cut %d", cut)
		for i := range got {
			require.True(t, bytes.Equal(want[i], got[i]), "cut %d, message %d", cut, i)
		}
		_ = c.CloseNow()
	}
}

// TestTryReadIntoWhileReading: while another call holds the read side
// (here a ReadInto waiting for the network), TryReadInto reports false at
// once instead of waiting, and leaves dst's memory alone.
func TestTryReadIntoWhileReading(t *testing.T) {
	c, pw, got := heldReadSide(t)
	dst := []byte("keep")
	_, p, ok := c.TryReadInto(dst)
	assert.False(t, ok)
	assert.Empty(t, p)
	assert.Equal(t, "keep", string(dst[:4]))
	_, err := pw.Write(append(frameBytes(true, 0, OpText, false, []byte("a")), frameBytes(true, 0, OpText, false, []byte("b"))...))
	require.NoError(t, err)
	require.NoError(t, <-got)
	typ, p, ok := c.TryReadInto(dst)
	require.True(t, ok)
	assert.Equal(t, MessageText, typ)
	assert.Equal(t, "b", string(p))
}

// TestTryReadableAgreesWithTryReadInto: on a stream of every kind of
// whole frame, compressed and 64 KiB messages among them (which
// BufferedMessages counts, whole in a large fixed read buffer), cut at
// every frame boundary and delivered in one read, TryReadable reports a
// message exactly when TryReadInto then takes one, and consumes nothing;
// but for text that is not valid UTF-8, which it reports and TryReadInto
// leaves to ReadInto (which fails the connection). The Client's reader
// steps back from the buffer only on its word.
func TestTryReadableAgreesWithTryReadInto(t *testing.T) {
	big := bytes.Repeat([]byte("L"), 70<<10)
	z := deflated("compressed compressed compressed")
	frames := [][]byte{
		frameBytes(true, 0, OpText, false, []byte("one")),
		compressedFrame(true, OpText, z[0]),
		frameBytes(true, 0, OpBinary, false, big),
		frameBytes(true, 0, OpPing, false, []byte("p")),
		frameBytes(false, 0, OpText, false, []byte("fr")),
		frameBytes(true, 0, OpContinuation, false, []byte("ag")),
		frameBytes(true, 0, OpBinary, false, []byte("two")),
		frameBytes(true, 0, OpText, false, []byte{0xff, 'x'}),
	}
	for n := 0; n <= len(frames); n++ {
		stream := bytes.Join(frames[:n], nil)
		cfg := deflateCfg(DeflateParams{}, CompressionOptions{})
		cfg.nc, cfg.client, cfg.readLimit, cfg.noIdleReads = &memConn{in: &onceReader{b: stream}}, true, 1<<20, true
		cfg.readBufferSize = 256 << 10
		c := newConn(cfg)
		var taken, read int
		for {
			readable := c.TryReadable()
			_, p, ok := c.TryReadInto(nil)
			if ok {
				require.True(t, readable, "%d frames: TryReadInto took %q, TryReadable said no", n, p)
				taken++
				continue
			}
			if _, p, err := c.ReadInto(context.Background(), nil); err != nil {
				var pe *ProtocolError
				if errors.As(err, &pe) {
					assert.Equal(t, StatusInvalidFramePayloadData, pe.Code, "%d frames", n)
					assert.True(t, readable, "%d frames: invalid text", n)
				}
				break
			} else {
				assert.False(t, readable, "%d frames: TryReadable said yes, TryReadInto took nothing; ReadInto then read %d bytes", n, len(p))
				read++
			}
		}
		// The first message is read by ReadInto, which fills the buffer;
		// of the others, TryReadInto takes "two" alone.
		wantTaken := 0
		if n >= 7 {
			wantTaken = 1
		}
		assert.Equal(t, wantTaken, taken, "%d frames: messages TryReadInto took", n)
		assert.Equal(t, []int{0, 1, 2, 3, 3, 3, 4, 4, 4}[n], read, "%d frames: messages ReadInto read", n)
		_ = c.CloseNow()
	}
}
