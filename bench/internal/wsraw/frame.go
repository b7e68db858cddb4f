package wsraw

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
)

// Opcodes used by the benchmark (RFC 6455 §5.2).
const (
	OpContinuation = 0x0
	OpText         = 0x1
	OpBinary       = 0x2
	OpClose        = 0x8
	OpPing         = 0x9
	OpPong         = 0xA
)

// MaxHeader is the largest frame header: 2 bytes, 8 of length, 4 of mask.
const MaxHeader = 14

// ErrProtocol reports a frame the framer refuses (RSV2 or RSV3, a control
// frame over 125 bytes or fragmented, a length with the top bit set).
var ErrProtocol = errors.New("wsraw: protocol error")

// Header is one frame header.
type Header struct {
	Fin bool
	// Rsv1 is permessage-deflate's "compressed" bit (RFC 7692 §6); the
	// framer only carries it, and RSV2/RSV3 are still refused.
	Rsv1   bool
	Op     byte
	Masked bool
	Key    [4]byte
	Length int64
}

// AppendHeader appends the encoded header to b.
func AppendHeader(b []byte, h Header) []byte {
	b0 := h.Op
	if h.Fin {
		b0 |= 0x80
	}
	if h.Rsv1 {
		b0 |= 0x40
	}
	var m byte
	if h.Masked {
		m = 0x80
	}
	switch n := h.Length; {
	case n < 126:
		b = append(b, b0, m|byte(n))
	case n < 1<<16:
		b = append(b, b0, m|126, byte(n>>8), byte(n))
	default:
		b = append(b, b0, m|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if h.Masked {
		b = append(b, h.Key[:]...)
	}
	return b
}

// ReadHeader reads one frame header from br. It peeks the whole header
// before consuming it, so it costs no copy and no allocation.
func ReadHeader(br *bufio.Reader) (Header, error) {
	var h Header
	p, err := br.Peek(2)
	if err != nil {
		return h, err
	}
	if p[0]&0x30 != 0 {
		return h, ErrProtocol
	}
	h.Fin = p[0]&0x80 != 0
	h.Rsv1 = p[0]&0x40 != 0
	h.Op = p[0] & 0x0f
	h.Masked = p[1]&0x80 != 0
	size := 2
	switch p[1] & 0x7f {
	case 126:
		size += 2
	case 127:
		size += 8
	}
	if h.Masked {
		size += 4
	}
	if p, err = br.Peek(size); err != nil {
		return h, noEOF(err)
	}
	switch l := p[1] & 0x7f; l {
	case 126:
		h.Length = int64(binary.BigEndian.Uint16(p[2:]))
	case 127:
		u := binary.BigEndian.Uint64(p[2:])
		if u>>63 != 0 {
			return h, ErrProtocol
		}
		h.Length = int64(u)
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		copy(h.Key[:], p[size-4:])
	}
	if h.Op >= OpClose && (h.Length > 125 || !h.Fin) {
		return h, ErrProtocol
	}
	_, _ = br.Discard(size)
	return h, nil
}

// noEOF turns an EOF in the middle of a frame into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Mask XORs b with key, starting at offset pos of the key stream, and
// returns the offset after b. It works a 64-bit word at a time.
func Mask(b []byte, key [4]byte, pos int) int {
	if len(b) == 0 {
		return pos
	}
	var k [4]byte
	for i := range 4 {
		k[i] = key[(pos+i)&3]
	}
	k32 := binary.LittleEndian.Uint32(k[:])
	k64 := uint64(k32)<<32 | uint64(k32)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		v := binary.LittleEndian.Uint64(b[i:])
		binary.LittleEndian.PutUint64(b[i:], v^k64)
	}
	for ; i < len(b); i++ {
		b[i] ^= k[i&3]
	}
	return (pos + len(b)) & 3
}
