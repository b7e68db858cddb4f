package durable

import (
	"encoding/binary"
	"hash/crc32"
)

// A payload carries its own identity and checksum, so that whoever reads
// it back, after any damage, can tell which message it is and whether its
// bytes are the ones pushed, without being told: 8 bytes of index, filler
// derived from the index, and a CRC-32C of everything before it.
const payloadOverhead = 12

// MinPayload is the smallest payload size MakePayload accepts.
const MinPayload = payloadOverhead

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MakePayload fills b (at least MinPayload bytes) as the payload of
// message index and returns it.
func MakePayload(b []byte, index uint64) []byte {
	binary.BigEndian.PutUint64(b, index)
	x := uint32(index*2654435761 + 1)
	body := b[8 : len(b)-4]
	for i := range body {
		// xorshift: cheap, and different for every index, so that a
		// record moved or spliced from another message fails the check.
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		body[i] = byte(x)
	}
	binary.BigEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
	return b
}

// patternWord fills a pattern payload. Read at one offset in four as a
// queue.File record header (length little-endian at +4, kind at +8), it
// claims a 64 KiB record of a valid kind (the low byte, 2, is also the
// kind byte, four bytes on), so a reader that tries every offset of a
// damaged stretch and checksums whatever length it finds there does work
// proportional to the stretch times 64 KiB: the case issue 19 found.
const patternWord = 0x00010002

// MakePatternPayload is MakePayload with the filler a repeating
// little-endian uint32 (sensor samples, a zeroed struct array): the
// payload that makes a hand-written log's resynchronisation slowest.
func MakePatternPayload(b []byte, index uint64) []byte {
	binary.BigEndian.PutUint64(b, index)
	body := b[8 : len(b)-4]
	for i := range body {
		body[i] = byte(uint32(patternWord) >> (8 * (i % 4)))
	}
	binary.BigEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
	return b
}

// CheckPayload returns the index a payload was made for and whether its
// bytes are intact.
func CheckPayload(p []byte) (index uint64, ok bool) {
	if len(p) < payloadOverhead {
		return 0, false
	}
	if crc32.Checksum(p[:len(p)-4], castagnoli) != binary.BigEndian.Uint32(p[len(p)-4:]) {
		return 0, false
	}
	return binary.BigEndian.Uint64(p), true
}
