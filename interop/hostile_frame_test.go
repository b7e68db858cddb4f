package interop

import (
	"bytes"
	"encoding/binary"
)

// This file is the hostile server's frame writer. It is written from
// RFC 6455 §5.2 by hand, sharing no code with sturdy's transport, so that
// a misreading of the RFC in one is not copied into the other.

// Opcodes, as the RFC numbers them (§5.2).
const (
	opCont   byte = 0x0
	opText   byte = 0x1
	opBinary byte = 0x2
	opClose  byte = 0x8
	opPing   byte = 0x9
	opPong   byte = 0xA
)

// frameSpec describes one frame exactly as it goes on the wire, including
// the ways a hostile server can get it wrong.
type frameSpec struct {
	fin     bool
	rsv     byte // RSV1 as 4, RSV2 as 2, RSV3 as 1
	op      byte
	payload []byte
	// mask masks the frame, which a server must never do (§5.1).
	mask bool
	// lenForm forces the length encoding: 0 minimal, 16 or 64 for the
	// extended forms even when the length would fit a smaller one.
	lenForm int
	// lenOverride, when non-zero, is written as the length in place of
	// len(payload) (64-bit form): for lengths with the top bit set.
	lenOverride uint64
}

// encode returns the frame's bytes.
func (f frameSpec) encode() []byte {
	n := uint64(len(f.payload))
	b := make([]byte, 0, 14+len(f.payload))
	b0 := f.op & 0x0F
	if f.fin {
		b0 |= 0x80
	}
	b0 |= (f.rsv & 0x7) << 4
	b = append(b, b0)
	var m byte
	if f.mask {
		m = 0x80
	}
	form := f.lenForm
	if f.lenOverride != 0 {
		form, n = 64, f.lenOverride
	}
	switch {
	case form == 0 && n <= 125:
		b = append(b, m|byte(n))
	case form == 16 || (form == 0 && n <= 0xFFFF):
		b = append(b, m|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, m|127)
		b = binary.BigEndian.AppendUint64(b, n)
	}
	if !f.mask {
		return append(b, f.payload...)
	}
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	b = append(b, key[:]...)
	for i, c := range f.payload {
		b = append(b, c^key[i&3])
	}
	return b
}

// Shorthands for well-formed frames.

func frame(fin bool, op byte, payload []byte) []byte {
	return frameSpec{fin: fin, op: op, payload: payload}.encode()
}

func textFrame(s string) []byte   { return frame(true, opText, []byte(s)) }
func binaryFrame(b []byte) []byte { return frame(true, opBinary, b) }
func pingFrame(b []byte) []byte   { return frame(true, opPing, b) }
func pongFrame(b []byte) []byte   { return frame(true, opPong, b) }
func rsvFrame(rsv, op byte, p []byte) []byte {
	return frameSpec{fin: true, rsv: rsv, op: op, payload: p}.encode()
}

// closePayload builds a close frame's payload: the code in network order,
// then the reason. (An empty payload, no status, is a nil payload.)
func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

func closeFrame(code uint16, reason string) []byte {
	return frame(true, opClose, closePayload(code, reason))
}

// fragments splits payload into frames of at most size bytes: the first
// with op, the rest continuations, FIN on the last.
func fragments(op byte, payload []byte, size int) []byte {
	var out []byte
	first := true
	for {
		n := min(size, len(payload))
		o := opCont
		if first {
			o = op
		}
		last := n == len(payload)
		out = append(out, frame(last, o, payload[:n])...)
		payload = payload[n:]
		first = false
		if last {
			return out
		}
	}
}

// textPayload is n bytes of printable ASCII; binaryPayload n bytes that
// repeat a 251-byte period of varied values (a prime, so the
// pattern never lines up with masks or fragment sizes). Both are
// deterministic so echoes can be compared, and built with bytes.Repeat
// because a byte loop over 16 MiB is slow under the race detector.
func textPayload(n int) []byte {
	return bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz"), n/26+1)[:n]
}

func binaryPayload(n int) []byte {
	var period [251]byte
	for i := range period {
		period[i] = byte(i*131 + 7)
	}
	return bytes.Repeat(period[:], n/len(period)+1)[:n]
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
