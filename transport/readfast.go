package transport

import (
	"encoding/binary"
	"unicode/utf8"
)

// readBuffered is ReadInto's fast path for the common case: the next frame
// is a whole, unfragmented, uncompressed text or binary message, unmasked
// (as a server sends), within the read limit, and already in the read
// buffer. It copies the payload into dst[:0] and consumes the frame. In
// any other case, or on any doubt (a header the general path would reject,
// text that is not valid UTF-8), it consumes nothing and reports false, and
// the general path reads the same bytes and applies every rule. So it
// takes no decision of its own that the general path would not take.
func (r *reader) readBuffered(dst []byte) (MessageType, []byte, bool) {
	if r.inMsg || !r.c.client || r.c.ended.Load() {
		return 0, dst, false
	}
	br := &r.br
	avail := br.buffered()
	if avail < 2 {
		return 0, dst, false
	}
	b, _ := br.peek(2)
	b0, b1 := b[0], b[1]
	// FIN set, RSV clear, opcode text or binary; mask bit clear.
	if b0 != 0x80|byte(OpText) && b0 != 0x80|byte(OpBinary) || b1&0x80 != 0 {
		return 0, dst, false
	}
	hs, n := 2, int64(b1&0x7f)
	switch n {
	case 126:
		if avail < 4 {
			return 0, dst, false
		}
		b, _ = br.peek(4)
		n, hs = int64(binary.BigEndian.Uint16(b[2:])), 4
		if n < 126 {
			return 0, dst, false // non-minimal: the general path fails it
		}
	case 127:
		return 0, dst, false // 64 KiB and more: not a fast case
	}
	if n > r.limit.Load() || int64(avail-hs) < n {
		return 0, dst, false
	}
	b, _ = br.peek(hs + int(n))
	p := b[hs:]
	typ := MessageType(b0 & 0x0f)
	if typ == MessageText && !utf8.Valid(p) {
		return 0, dst, false
	}
	dst = append(dst[:0], p...)
	br.discard(hs + int(n))
	return typ, dst, true
}
