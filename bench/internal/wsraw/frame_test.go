package wsraw

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []Header{
		{Fin: true, Op: OpText, Length: 0},
		{Fin: true, Op: OpBinary, Length: 125},
		{Fin: false, Op: OpBinary, Length: 126, Masked: true, Key: [4]byte{1, 2, 3, 4}},
		{Fin: true, Op: OpContinuation, Length: 1 << 16},
		{Fin: true, Op: OpPing, Length: 5, Masked: true, Key: [4]byte{9, 8, 7, 6}},
	} {
		b := AppendHeader(nil, h)
		got, err := ReadHeader(bufio.NewReader(bytes.NewReader(b)))
		require.NoError(t, err)
		assert.Equal(t, h, got, "got %+v, want %+v", got, h)
	}
}

func TestMaskIsItsOwnInverseAtAnyOffset(t *testing.T) {
	key := [4]byte{0xde, 0xad, 0xbe, 0xef}
	src := []byte("the quick brown fox jumps over the lazy dog, twice over")
	b := bytes.Clone(src)
	pos := Mask(b[:3], key, 0)
	pos = Mask(b[3:20], key, pos)
	Mask(b[20:], key, pos)
	for i := range src {
		require.Equal(t, src[i]^key[i%4], b[i], "byte %d", i)
	}
	Mask(b, key, 0)
	assert.Equal(t, src, b)
}

// FuzzReadHeader checks that any input either fails cleanly or parses to
// a header that encodes back to the same bytes.
func FuzzReadHeader(f *testing.F) {
	f.Add([]byte{0x81, 0x05})
	f.Add([]byte{0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4})
	f.Add([]byte{0x02, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0})
	f.Add([]byte{0x89, 0x80, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		src := bytes.NewReader(b)
		br := bufio.NewReader(src)
		h, err := ReadHeader(br)
		if err != nil {
			return
		}
		enc := AppendHeader(nil, h)
		used := len(b) - br.Buffered() - src.Len()
		if len(enc) == used {
			assert.Equal(t, b[:used], enc)
		} else {
			// A non-minimal length encoding: ReadHeader takes it, AppendHeader never writes it.
			assert.Less(t, len(enc), used)
		}
	})
}
