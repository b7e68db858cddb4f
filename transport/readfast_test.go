package transport

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readOutcome reads up to 16 messages from stream, with a read limit of 200
// bytes, and describes what came out: each message, then the error that
// ended it (by its close code).
func readOutcome(t testing.TB, stream []byte, oneByte bool) []string {
	var in = bytes.NewReader(stream)
	mc := &memConn{in: in}
	if oneByte {
		// One byte per read: the buffer never holds a whole frame ahead,
		// so every message takes the general path.
		mc.in = iotest.OneByteReader(in)
	}
	c := newConn(connConfig{nc: mc, client: true, readLimit: 200, noIdleReads: true})
	defer c.CloseNow()
	var out []string
	var buf []byte
	for range 16 {
		typ, msg, err := c.ReadInto(context.Background(), buf)
		if err != nil {
			return append(out, fmt.Sprintf("error %v", CloseStatus(err)))
		}
		out = append(out, fmt.Sprintf("%v %q", typ, msg))
		buf = msg
	}
	return out
}

// fastPathStreams are server streams where the fast path may apply, or
// nearly: each must read the same through it as through the general path.
func fastPathStreams() [][]byte {
	big := bytes.Repeat([]byte("x"), 300)
	streams := [][]byte{
		frameBytes(true, 0, OpText, false, []byte("hello")),
		frameBytes(true, 0, OpBinary, false, nil),
		frameBytes(true, 0, OpBinary, false, big),                                // 16-bit length
		frameBytes(true, 0, OpText, false, []byte("caf\xc3")),                    // text cut inside a rune
		frameBytes(true, 0, OpText, false, []byte("\xff bad")),                   // invalid UTF-8
		frameBytes(true, 0, OpText, true, []byte("masked")),                      // masked from the server
		frameBytes(true, rsv1, OpBinary, false, []byte("rsv")),                   // RSV1, nothing negotiated
		frameBytes(true, 0, Opcode(3), false, []byte("reserved")),                // reserved opcode
		frameBytes(false, 0, OpText, false, []byte("frag")),                      // first fragment only
		frameBytes(true, 0, OpContinuation, false, []byte("cont")),               // continuation with no start
		frameBytes(true, 0, OpBinary, false, bytes.Repeat([]byte("L"), 5000)),    // over the 4096 limit
		{0x82, 126, 0x00, 0x10, 'a', 'b'},                                        // non-minimal 16-bit length, short
		append([]byte{0x82, 126, 0x00, 0x7d}, bytes.Repeat([]byte("n"), 125)...), // non-minimal 16-bit length
	}
	var all []byte
	for _, s := range streams {
		all = append(all, s...)
	}
	// Every stream after a good message, and all of them in a row.
	good := frameBytes(true, 0, OpBinary, false, []byte("first"))
	out := [][]byte{all}
	for _, s := range streams {
		out = append(out, s, append(append([]byte(nil), good...), s...))
	}
	for _, v := range violations {
		out = append(out, bytes.Join(v.stream, nil))
	}
	return out
}

// The fast path decides nothing the general path would decide otherwise:
// the same stream yields the same messages and the same close code whether
// whole frames sit in the buffer (fast path) or arrive a byte at a time.
func TestReadFastPathAgrees(t *testing.T) {
	for i, stream := range fastPathStreams() {
		fast := readOutcome(t, stream, false)
		slow := readOutcome(t, stream, true)
		assert.Equal(t, slow, fast, "stream %d (%q)", i, stream)
	}
}

// The fast path is taken: a buffered binary message costs no allocation
// and leaves the reader ready for the next one.
func TestReadFastPathTaken(t *testing.T) {
	frame := frameBytes(true, 0, OpBinary, false, []byte("steady"))
	c := newConn(connConfig{nc: &memConn{in: bytes.NewReader(bytes.Repeat(frame, 4))}, client: true, noIdleReads: true})
	defer c.CloseNow()
	_, err := c.rd.br.peek(len(frame) * 4) // all four in the buffer
	require.NoError(t, err)
	buf := make([]byte, 0, 64)
	for range 4 {
		typ, ok := MessageType(0), false
		typ, buf, ok = c.rd.readBuffered(buf, true)
		require.True(t, ok)
		assert.Equal(t, MessageBinary, typ)
		assert.Equal(t, "steady", string(buf))
	}
	_, _, ok := c.rd.readBuffered(buf, true)
	assert.False(t, ok, "nothing left buffered")
}

// FuzzReadFastPath compares the fast path with the general path on any
// server stream.
func FuzzReadFastPath(f *testing.F) {
	for _, s := range fastPathStreams() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		fast := readOutcome(t, stream, false)
		slow := readOutcome(t, stream, true)
		if fmt.Sprint(fast) != fmt.Sprint(slow) {
			t.Fatalf("fast path %v, general path %v", fast, slow)
		}
	})
}
