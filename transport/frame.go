package transport

import (
	"encoding/binary"
	"errors"
)

// Opcode is a WebSocket frame opcode (RFC 6455 §5.2).
type Opcode byte

// Opcodes defined by RFC 6455 §5.2; the others are reserved.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether op is a control opcode (0x8–0xF).
func (op Opcode) IsControl() bool { return op&0x8 != 0 }

// IsReserved reports whether op is one RFC 6455 reserves for future use.
func (op Opcode) IsReserved() bool {
	return (op > OpBinary && op < OpClose) || op > OpPong
}

// MaxHeaderSize is the largest frame header: 2 bytes, an 8-byte extended
// length and a 4-byte masking key.
const MaxHeaderSize = 14

// MaxControlPayload is the largest payload a control frame may carry
// (RFC 6455 §5.5).
const MaxControlPayload = 125

// Header is a decoded frame header.
type Header struct {
	Fin    bool
	Rsv    byte // the three RSV bits, RSV1 as 0x4, RSV2 as 0x2, RSV3 as 0x1
	Opcode Opcode
	Masked bool
	Mask   [4]byte
	Length int64
}

// Errors returned by ParseHeader.
var (
	// ErrShortHeader means more bytes are needed; HeaderSize tells how many.
	ErrShortHeader = errors.New("transport: short frame header")
	// errLengthMSB means a 64-bit length had its most significant bit set,
	// which RFC 6455 §5.2 forbids.
	errLengthMSB = errors.New("most significant bit of 64-bit payload length set")
	// errNonMinimalLength means an extended length was used for a value that
	// fits a shorter form (§5.2: "the minimal number of bytes MUST be used").
	errNonMinimalLength = errors.New("payload length not minimally encoded")
)

// HeaderSize returns the size of the header that starts with b0 and b1, the
// first two bytes of a frame.
func HeaderSize(b0, b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// ParseHeader decodes the frame header at the start of b and returns it with
// its size. It returns ErrShortHeader when b holds less than the whole header,
// and an error for a malformed length. It checks only the encoding; the
// protocol rules that depend on the connection's state are the reader's.
func ParseHeader(b []byte) (Header, int, error) {
	var h Header
	if len(b) < 2 {
		return h, 0, ErrShortHeader
	}
	n := HeaderSize(b[0], b[1])
	if len(b) < n {
		return h, 0, ErrShortHeader
	}
	h.Fin = b[0]&0x80 != 0
	h.Rsv = (b[0] >> 4) & 0x7
	h.Opcode = Opcode(b[0] & 0xf)
	h.Masked = b[1]&0x80 != 0
	i := 2
	switch l := b[1] & 0x7f; l {
	case 126:
		h.Length = int64(binary.BigEndian.Uint16(b[2:]))
		i += 2
		if h.Length < 126 {
			return h, n, errNonMinimalLength
		}
	case 127:
		u := binary.BigEndian.Uint64(b[2:])
		i += 8
		if u>>63 != 0 {
			return h, n, errLengthMSB
		}
		h.Length = int64(u)
		if h.Length <= 0xffff {
			return h, n, errNonMinimalLength
		}
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		copy(h.Mask[:], b[i:i+4])
	}
	return h, n, nil
}

// PutHeader encodes h at the start of b, which must hold MaxHeaderSize
// bytes, and returns the number of bytes written. It always uses the minimal
// length encoding.
func PutHeader(b []byte, h Header) int {
	_ = b[MaxHeaderSize-1]
	b0 := byte(h.Opcode) | h.Rsv<<4
	if h.Fin {
		b0 |= 0x80
	}
	b[0] = b0
	var b1 byte
	if h.Masked {
		b1 = 0x80
	}
	n := 2
	switch {
	case h.Length < 126:
		b[1] = b1 | byte(h.Length)
	case h.Length <= 0xffff:
		b[1] = b1 | 126
		binary.BigEndian.PutUint16(b[2:], uint16(h.Length))
		n = 4
	default:
		b[1] = b1 | 127
		binary.BigEndian.PutUint64(b[2:], uint64(h.Length))
		n = 10
	}
	if h.Masked {
		copy(b[n:], h.Mask[:])
		n += 4
	}
	return n
}
