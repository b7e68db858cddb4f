// Package payload makes and checks the benchmark's messages. Every message
// carries its sequence number in its first 8 bytes, so the self-check can
// tell a lost, repeated or reordered message from a good one, and a fixed
// pattern after that, so it can tell a corrupted or misframed one. All
// bytes are ASCII, so the same payload is valid as a text message.
package payload

import "fmt"

// SeqSize is how many leading bytes hold the sequence number.
const SeqSize = 8

// Min is the smallest payload that holds a sequence number.
const Min = SeqSize

// patternByte is the byte at offset i (i >= SeqSize) of every payload.
func patternByte(i int) byte { return 'a' + byte((i*7)%26) }

// New returns a payload of size bytes carrying sequence number 0.
func New(size int) []byte {
	p := make([]byte, max(size, Min))
	for i := SeqSize; i < len(p); i++ {
		p[i] = patternByte(i)
	}
	Stamp(p, 0)
	return p
}

// Stamp writes seq into the first bytes of p, 5 bits per byte as ASCII.
func Stamp(p []byte, seq uint64) {
	for i := range SeqSize {
		p[i] = 'A' + byte(seq>>(5*i))&31
	}
}

// Seq reads the sequence number Stamp wrote.
func Seq(p []byte) uint64 {
	var s uint64
	for i := range SeqSize {
		s |= uint64(p[i]-'A') << (5 * i)
	}
	return s
}

// Check reports how p differs from the payload of size bytes with seq.
func Check(p []byte, size int, seq uint64) error {
	if len(p) != size {
		return fmt.Errorf("message %d: %d bytes, want %d", seq, len(p), size)
	}
	for i := range SeqSize {
		if p[i] != 'A'+byte(seq>>(5*i))&31 {
			return fmt.Errorf("message %d: carries sequence number %d", seq, Seq(p))
		}
	}
	for i := SeqSize; i < len(p); i++ {
		if p[i] != patternByte(i) {
			return fmt.Errorf("message %d: byte %d is %#x, want %#x", seq, i, p[i], patternByte(i))
		}
	}
	return nil
}
