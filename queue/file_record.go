package queue

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// A log record, little-endian:
//
//	off size field
//	  0    4 CRC-32C (Castagnoli) of bytes 4 to the end of the record
//	  4    4 payload length n
//	  8    1 kind
//	  9    1 message type
//	 10    8 sequence number
//	 18    8 enqueue time, Unix nanoseconds
//	 26    8 deadline, Unix nanoseconds; 0 means none
//	 34    n payload
//
// The checksum covers the length, so a damaged length is caught like any
// other damaged byte instead of sending the reader off to a wrong offset
// unnoticed. Castagnoli because CPUs compute it in hardware (SSE4.2, ARMv8)
// and it detects more error patterns than the IEEE polynomial.
const recHeaderSize = 34

// Record kinds. Zero is not a kind, so a zero-filled tail (what some file
// systems leave after a crash) never decodes.
const (
	// kindBase opens every segment; its seq is the last sequence number
	// given out before the segment began, so numbering continues across
	// restarts even when every message has been acknowledged.
	kindBase = 1
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
	kindMax  = kindMark
)

// maxRecordPayload bounds the length a record may claim. Payloads are
// bounded by MaxBytes anyway; this only keeps a damaged length from being
// taken at face value on a 32-bit platform.
const maxRecordPayload = 1<<31 - 1 - recHeaderSize

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	// errShortRecord: the bytes end inside the record (a torn write, or a
	// damaged length).
	errShortRecord = errors.New("queue: record cut short")
	// errBadRecord: the checksum or a field is wrong.
	errBadRecord = errors.New("queue: record damaged")
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
	binary.LittleEndian.PutUint32(h[4:], uint32(len(r.payload)))
	h[8] = r.kind
	h[9] = byte(r.typ)
	binary.LittleEndian.PutUint64(h[10:], r.seq)
	binary.LittleEndian.PutUint64(h[18:], uint64(r.enqueued))
	binary.LittleEndian.PutUint64(h[26:], uint64(r.deadline))
	dst = append(dst, r.payload...)
	binary.LittleEndian.PutUint32(dst[start:], crc32.Checksum(dst[start+4:], castagnoli))
	return dst
}

// decodeRecord decodes the record at the start of b and returns it with
// its encoded length. It fails with errShortRecord when b ends before the
// record does and errBadRecord when the checksum or the kind is wrong;
// it never panics, whatever b holds.
func decodeRecord(b []byte) (record, int, error) {
	if len(b) < recHeaderSize {
		return record{}, 0, errShortRecord
	}
	n := binary.LittleEndian.Uint32(b[4:])
	if kind := b[8]; kind == 0 || kind > kindMax || n > maxRecordPayload {
		return record{}, 0, errBadRecord
	}
	end := recHeaderSize + int(n)
	if len(b) < end {
		return record{}, 0, errShortRecord
	}
	if crc32.Checksum(b[4:end], castagnoli) != binary.LittleEndian.Uint32(b) {
		return record{}, 0, errBadRecord
	}
	r := record{
		kind:     b[8],
		typ:      MessageType(b[9]),
		seq:      binary.LittleEndian.Uint64(b[10:]),
		enqueued: int64(binary.LittleEndian.Uint64(b[18:])),
		deadline: int64(binary.LittleEndian.Uint64(b[26:])),
		payload:  b[recHeaderSize:end:end],
	}
	return r, end, nil
}

// peekSeq returns the sequence number field of a record that may be
// damaged, for reporting; ok is false when b is too short to hold one.
func peekSeq(b []byte) (uint64, bool) {
	if len(b) < 18 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[10:]), true
}
