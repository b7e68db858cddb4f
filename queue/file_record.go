package queue

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// A log record (format 2), little-endian:
//
//	off size field
//	  0    4 header CRC-32C of bytes 4 to 40
//	  4    4 payload CRC-32C
//	  8    4 payload length n
//	 12    1 kind
//	 13    1 message type
//	 14    2 marker "qR"
//	 16    8 sequence number
//	 24    8 enqueue time, Unix nanoseconds
//	 32    8 deadline, Unix nanoseconds; 0 means none
//	 40    n payload
//
// The header verifies on its own: its checksum covers the length and the
// payload's checksum. So after damage the reader finds the next record by
// checking one fixed-size header per byte offset, which costs the same
// whatever length a damaged or random header claims: resynchronisation
// is linear in the bytes scanned, where checksumming each candidate's
// claimed payload was quadratic. A record whose header verifies but whose
// payload does not is damage of a known size, with a trustworthy
// sequence number. The marker is a cheap filter before the checksum.
// Castagnoli because CPUs compute it in hardware (SSE4.2, ARMv8) and it
// detects more error patterns than the IEEE polynomial.
const recHeaderSize = 40

// recMarker is bytes 14 and 15 of every record header.
const recMarker = 'q' | 'R'<<8

// Record kinds. Zero is not a kind, so a zero-filled tail (what some file
// systems leave after a crash) never decodes.
const (
	// kindPush is an accepted message.
	kindPush = 2
	// kindAck removes one message: acknowledged, expired or evicted.
	kindAck = 3
	// kindAckThrough removes every message whose number is at most seq.
	// It is written with seq no higher than the last number given out, so
	// it can never remove a message pushed after it.
	kindAckThrough = 4
	// kindMark records that every message numbered at most seq was about
	// to be written to a connection (File.MarkSending). It is written
	// with seq no higher than the last number given out.
	kindMark = 5
	kindMin  = kindPush
	kindMax  = kindMark
)

// maxRecordPayload bounds the length a record may claim. Payloads are
// bounded by MaxBytes anyway; this only keeps a damaged length from being
// taken at face value on a 32-bit platform.
const maxRecordPayload = 1<<31 - 1 - recHeaderSize

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	// errShortRecord: the bytes end inside the header, or inside the
	// payload of a verified header (a torn write).
	errShortRecord = errors.New("queue: record cut short")
	// errBadHeader: the header fails its checksum or a field is wrong.
	errBadHeader = errors.New("queue: record header damaged")
	// errBadPayload: the header verifies, the payload does not.
	errBadPayload = errors.New("queue: record payload damaged")
)

// record is one decoded log record. Payload aliases the decoded bytes.
type record struct {
	kind     uint8
	typ      MessageType
	seq      uint64
	enqueued int64
	deadline int64
	payload  []byte
}

// size is the record's encoded length.
func (r *record) size() int { return recHeaderSize + len(r.payload) }

// appendRecord appends r, encoded, to dst. With a dst of enough capacity
// it allocates nothing.
func appendRecord(dst []byte, r *record) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, recHeaderSize)...)
	h := dst[start:]
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(r.payload, castagnoli))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(r.payload)))
	h[12] = r.kind
	h[13] = byte(r.typ)
	binary.LittleEndian.PutUint16(h[14:], recMarker)
	binary.LittleEndian.PutUint64(h[16:], r.seq)
	binary.LittleEndian.PutUint64(h[24:], uint64(r.enqueued))
	binary.LittleEndian.PutUint64(h[32:], uint64(r.deadline))
	binary.LittleEndian.PutUint32(h, crc32.Checksum(h[4:recHeaderSize], castagnoli))
	return append(dst, r.payload...)
}

// header is a verified record header.
type header struct {
	record     // without its payload
	n          int
	payloadCRC uint32
}

// decodeHeader verifies the header at the start of b: errShortRecord when
// b is shorter than a header, errBadHeader when it does not verify. It
// reads exactly recHeaderSize bytes, whatever length the header claims.
func decodeHeader(b []byte) (header, error) {
	if len(b) < recHeaderSize {
		return header{}, errShortRecord
	}
	if binary.LittleEndian.Uint16(b[14:]) != recMarker {
		return header{}, errBadHeader
	}
	n := binary.LittleEndian.Uint32(b[8:])
	if kind := b[12]; kind < kindMin || kind > kindMax || n > maxRecordPayload {
		return header{}, errBadHeader
	}
	if crc32.Checksum(b[4:recHeaderSize], castagnoli) != binary.LittleEndian.Uint32(b) {
		return header{}, errBadHeader
	}
	return header{
		record: record{
			kind:     b[12],
			typ:      MessageType(b[13]),
			seq:      binary.LittleEndian.Uint64(b[16:]),
			enqueued: int64(binary.LittleEndian.Uint64(b[24:])),
			deadline: int64(binary.LittleEndian.Uint64(b[32:])),
		},
		n:          int(n),
		payloadCRC: binary.LittleEndian.Uint32(b[4:]),
	}, nil
}

// decodeRecord decodes the record at the start of b and returns it with
// its encoded length. It fails with errShortRecord when b ends before the
// record does, errBadHeader when the header does not verify and
// errBadPayload when the header does and the payload does not; with a
// verified header (errShortRecord past the header, errBadPayload) the
// record is returned without its payload, for its sequence number and
// length. It never panics, whatever b holds.
func decodeRecord(b []byte) (record, int, error) {
	h, err := decodeHeader(b)
	if err != nil {
		return record{}, 0, err
	}
	end := recHeaderSize + h.n
	if len(b) < end {
		return h.record, end, errShortRecord
	}
	if crc32.Checksum(b[recHeaderSize:end], castagnoli) != h.payloadCRC {
		return h.record, end, errBadPayload
	}
	r := h.record
	r.payload = b[recHeaderSize:end:end]
	return r, end, nil
}

// peekSeq returns the sequence number field of a header that may be
// damaged, for reporting; ok is false when b is too short to hold one.
func peekSeq(b []byte) (uint64, bool) {
	if len(b) < 24 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[16:]), true
}
