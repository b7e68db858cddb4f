package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errWouldBlock is what onceReader returns once its bytes are gone: a
// read that would have waited for the network.
var errWouldBlock = errors.New("read would block")

// onceReader hands out its bytes in one read, then counts every further
// read and fails it.
type onceReader struct {
	b     []byte
	after int // reads after the bytes were gone
}

func (o *onceReader) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		o.after++
		return 0, errWouldBlock
	}
	n := copy(p, o.b)
	o.b = o.b[n:]
	return n, nil
}

// TestBufferedMessagesNeverLies cuts a stream of frames of every kind at
// every byte and delivers the cut in one read: whenever BufferedMessages
// counts k, the next k calls to ReadInto return messages without reading
// the network again. And in a stream of whole unfragmented messages,
// which a batching reader needs it for, every whole one is counted.
func TestBufferedMessagesNeverLies(t *testing.T) {
	big := bytes.Repeat([]byte("b"), 300)
	frames := [][]byte{
		frameBytes(true, 0, OpText, false, []byte("one")),
		frameBytes(true, 0, OpBinary, false, big),
		frameBytes(true, 0, OpPing, false, []byte("p")),
		frameBytes(true, 0, OpBinary, false, nil),
		frameBytes(false, 0, OpText, false, []byte("fr")),
		frameBytes(true, 0, OpContinuation, false, []byte("ag")),
		frameBytes(true, 0, OpText, false, []byte("last")),
	}
	stream := bytes.Join(frames, nil)
	for cut := 0; cut <= len(stream); cut++ {
		src := &onceReader{b: stream[:cut]}
		c := newConn(connConfig{nc: &memConn{in: src}, client: true, readLimit: 1 << 10, noIdleReads: true})
		var buf []byte
		var err error
		for read := 0; err == nil; read++ {
			k := c.BufferedMessages(1 + read%3)
			require.LessOrEqual(t, k, 1+read%3)
			before := src.after
			for i := 0; i < k; i++ {
				_, buf, err = c.ReadInto(context.Background(), buf)
				require.Equal(t, before, src.after, "cut %d, read %d: %d counted, but read %d went to the network", cut, read, k, i)
				require.NoError(t, err, "cut %d, read %d", cut, read)
			}
			_, buf, err = c.ReadInto(context.Background(), buf)
		}
		_ = c.CloseNow()
	}

	// Whole messages: every one after the first read is reported.
	var whole []byte
	for i := range 20 {
		whole = append(whole, frameBytes(true, 0, OpBinary, false, bytes.Repeat([]byte{byte(i)}, 1+i*20))...)
	}
	src := &onceReader{b: whole}
	c := newConn(connConfig{nc: &memConn{in: src}, client: true, readLimit: 1 << 10, noIdleReads: true})
	defer c.CloseNow()
	assert.Zero(t, c.BufferedMessages(100), "nothing read yet")
	var buf []byte
	for i := range 20 {
		if i > 0 {
			require.Equal(t, 20-i, c.BufferedMessages(100), "after message %d", i)
			require.Equal(t, min(20-i, 3), c.BufferedMessages(3), "after message %d", i)
		}
		var err error
		_, buf, err = c.ReadInto(context.Background(), buf)
		require.NoError(t, err)
		require.Len(t, buf, 1+i*20)
	}
	assert.Zero(t, c.BufferedMessages(100), "all read")
	assert.Zero(t, src.after)
}

// TestBufferedMessagesWhileReading: while another call holds the read
// side, BufferedMessages answers 0 at once instead of waiting or touching
// the buffer under it.
func TestBufferedMessagesWhileReading(t *testing.T) {
	c, pw, got := heldReadSide(t)
	assert.Zero(t, c.BufferedMessages(10))
	_, err := pw.Write(append(frameBytes(true, 0, OpText, false, []byte("a")), frameBytes(true, 0, OpText, false, []byte("b"))...))
	require.NoError(t, err)
	require.NoError(t, <-got)
	assert.Equal(t, 1, c.BufferedMessages(10))
}

// heldReadSide returns a Conn whose read side a ReadInto holds, waiting
// for the network (pw); the read's error comes on got once pw gives it a
// frame. The frames written next arrive while the read is inside.
func heldReadSide(t *testing.T) (*Conn, *io.PipeWriter, <-chan error) {
	pr, pw := io.Pipe()
	t.Cleanup(func() { _ = pw.Close() })
	c := newConn(connConfig{nc: &memConn{in: pr}, client: true, readLimit: 1 << 10, noIdleReads: true})
	t.Cleanup(func() { _ = c.CloseNow() })
	got := make(chan error, 1)
	go func() {
		_, _, err := c.ReadInto(context.Background(), nil)
		got <- err
	}()
	for !c.rd.sem.held.Load() {
		select {
		case err := <-got:
			t.Fatal(err)
		default:
			runtime.Gosched()
		}
	}
	return c, pw, got
}
