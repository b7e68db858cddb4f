package transport

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lengthsPast32Bits are payload lengths where an int of 32 bits (386, arm,
// mipsle; CI runs these tests with GOARCH=386) would overflow or truncate.
var lengthsPast32Bits = []int64{1<<31 - 1, 1 << 31, 1<<32 - 1, 1 << 32, 1<<32 + 5, math.MaxInt64}

// Header lengths are int64 on every platform: encoding and decoding one
// past 2^31 or 2^32 gives it back whole.
func TestHeaderLengthsPast32Bits(t *testing.T) {
	for _, n := range lengthsPast32Bits {
		var b [MaxHeaderSize]byte
		h := Header{Fin: true, Opcode: OpBinary, Length: n}
		w := PutHeader(b[:], h)
		got, r, err := ParseHeader(b[:w])
		require.NoError(t, err, "length %d", n)
		assert.Equal(t, w, r, "length %d", n)
		assert.Equal(t, n, got.Length, "length %d", n)
	}
}

// A frame announcing 2^32 + 5 bytes followed by 5 bytes is not a 5-byte
// message, whatever the size of an int: with the default read limit it
// fails with 1009 from the header, and with no practical limit the read
// waits for the rest and fails when the peer closes instead.
func TestReadLengthsPast32Bits(t *testing.T) {
	for _, n := range lengthsPast32Bits {
		cc, raw := rawServer(t, connConfig{})
		_, err := raw.Write(append(headerBytes(n), "hello"...))
		require.NoError(t, err)
		_, _, err = cc.Read(context.Background())
		assert.Equal(t, StatusMessageTooBig, CloseStatus(err), "length %d: got %v", n, err)
	}

	cc, raw := rawServer(t, connConfig{})
	cc.SetReadLimit(math.MaxInt64)
	_, err := raw.Write(append(headerBytes(1<<32+5), "hello"...))
	require.NoError(t, err)
	require.NoError(t, raw.Close())
	typ, p, err := cc.Read(context.Background())
	require.Error(t, err, "got a %v message of %d bytes", typ, len(p))
}

// headerBytes is an unmasked final binary frame's header announcing n bytes.
func headerBytes(n int64) []byte {
	var b [MaxHeaderSize]byte
	return append([]byte(nil), b[:PutHeader(b[:], Header{Fin: true, Opcode: OpBinary, Length: n})]...)
}
