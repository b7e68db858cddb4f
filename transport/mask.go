package transport

import (
	"crypto/rand"
	"encoding/binary"
	"math/bits"
	mrand "math/rand/v2"
)

// maskBytes XORs b in place with the masking key, starting pos bytes into
// the key's cycle, and returns the position for the byte after b. Masking
// and unmasking are the same operation (RFC 6455 §5.3).
//
// It works a 64-bit word at a time: the key is widened to 8 bytes and
// rotated to the starting position once, so the loop is one load, one XOR
// and one store per 8 bytes.
func maskBytes(key [4]byte, pos int, b []byte) int {
	pos &= 3
	if len(b) < 16 {
		for i := range b {
			b[i] ^= key[(pos+i)&3]
		}
		return (pos + len(b)) & 3
	}
	k32 := binary.LittleEndian.Uint32(key[:])
	// Rotate so that the first byte of the word lines up with key[pos].
	k32 = bits.RotateLeft32(k32, -8*pos)
	k64 := uint64(k32) | uint64(k32)<<32
	i := 0
	for ; len(b)-i >= 32; i += 32 {
		c := b[i : i+32 : i+32]
		binary.LittleEndian.PutUint64(c[0:], binary.LittleEndian.Uint64(c[0:])^k64)
		binary.LittleEndian.PutUint64(c[8:], binary.LittleEndian.Uint64(c[8:])^k64)
		binary.LittleEndian.PutUint64(c[16:], binary.LittleEndian.Uint64(c[16:])^k64)
		binary.LittleEndian.PutUint64(c[24:], binary.LittleEndian.Uint64(c[24:])^k64)
	}
	for ; len(b)-i >= 8; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k64)
	}
	for ; i < len(b); i++ {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}

// maskCopy writes src masked into dst (which must be at least as long) and
// returns the next key position; it lets a client mask a caller's payload
// without touching the caller's bytes.
func maskCopy(dst, src []byte, key [4]byte, pos int) int {
	n := copy(dst, src)
	return maskBytes(key, pos, dst[:n])
}

// keySource produces masking keys. RFC 6455 §5.3 asks for keys an
// intermediary cannot predict, drawn from a strong source of entropy; a
// ChaCha8 stream (a CSPRNG) seeded per connection from crypto/rand meets that
// at a few nanoseconds per key, where a crypto/rand call per frame would
// cost a system call on many kernels. It is owned by the Conn's writer and
// used under its write lock.
type keySource struct {
	rng *mrand.ChaCha8
}

func newKeySource() keySource {
	var seed [32]byte
	_, _ = rand.Read(seed[:]) // crypto/rand.Read never fails since Go 1.24
	return keySource{rng: mrand.NewChaCha8(seed)}
}

// oneKey draws one masking key straight from crypto/rand. A connection
// that has sent only lone control frames (an idle connection's pings and
// pongs) uses it instead of a generator of its own: a ChaCha8 state is
// about 300 bytes, a third of what an idle connection otherwise holds,
// and one draw every heartbeat costs next to nothing.
func oneKey() [4]byte {
	var key [4]byte
	_, _ = rand.Read(key[:])
	return key
}

func (k keySource) next() [4]byte {
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], uint32(k.rng.Uint64()))
	return key
}
