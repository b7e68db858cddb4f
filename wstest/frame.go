package wstest

import (
	"encoding/binary"

	"github.com/sturdyws/sturdy/transport"
)

// Frame encodes one frame as h describes it, with payload, for Raw. Its
// length is len(payload), whatever h.Length says; when h.Masked is set the
// payload is masked with h.Mask. Nothing is checked, so it can build any
// violation: Frame(transport.Header{Fin: true, Opcode: transport.OpText,
// Masked: true}, p) is a masked frame, which a client must refuse with
// 1002; Frame(transport.Header{Fin: true, Opcode: transport.OpText},
// []byte{0xff}) is text that is not UTF-8 (1007).
func Frame(h transport.Header, payload []byte) []byte {
	h.Length = int64(len(payload))
	var hb [transport.MaxHeaderSize]byte
	n := transport.PutHeader(hb[:], h)
	out := make([]byte, n, n+len(payload))
	copy(out, hb[:n])
	out = append(out, payload...)
	if h.Masked {
		for i := range payload {
			out[n+i] ^= h.Mask[i&3]
		}
	}
	return out
}

// CloseFrame encodes a close frame carrying code and reason, unchecked:
// codes a close frame may not carry (1005, 1006, 999…) and reasons too long
// or not UTF-8 make the malformed close frames clients must refuse.
func CloseFrame(code transport.StatusCode, reason string) []byte {
	p := binary.BigEndian.AppendUint16(nil, uint16(code))
	p = append(p, reason...)
	return Frame(transport.Header{Fin: true, Opcode: transport.OpClose}, p)
}
