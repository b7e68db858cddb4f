package wstest_test

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestFrame decodes what Frame and CloseFrame build with the transport's
// own parser.
func TestFrame(t *testing.T) {
	tests := []struct {
		name    string
		h       transport.Header
		payload []byte
	}{
		{"empty", transport.Header{Fin: true, Opcode: transport.OpText}, nil},
		{"masked", transport.Header{Fin: true, Opcode: transport.OpBinary, Masked: true, Mask: [4]byte{9, 8, 7, 6}}, []byte("masked payload")},
		{"16-bit length", transport.Header{Opcode: transport.OpBinary, Length: 1}, make([]byte, 300)},
		{"64-bit length", transport.Header{Fin: true, Rsv: 7, Opcode: 0xB}, make([]byte, 70000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := wstest.Frame(tt.h, tt.payload)
			h, n, err := transport.ParseHeader(b)
			require.NoError(t, err)
			want := tt.h
			want.Length = int64(len(tt.payload))
			assert.Equal(t, want, h)
			got := b[n:]
			require.Len(t, got, len(tt.payload))
			if h.Masked {
				for i := range got {
					got[i] ^= h.Mask[i&3]
				}
			}
			assert.Equal(t, string(tt.payload), string(got))
		})
	}

	b := wstest.CloseFrame(1006, "not on the wire")
	h, n, err := transport.ParseHeader(b)
	require.NoError(t, err)
	assert.Equal(t, transport.OpClose, h.Opcode)
	assert.Equal(t, uint16(1006), binary.BigEndian.Uint16(b[n:]))
	assert.Equal(t, "not on the wire", string(b[n+2:]))
}
