package queue

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
)

// metaName is the file beside the segments that holds what the records
// cannot say about themselves: how far sequence numbers may have been
// given out, and which segments the log is made of. Two slots of
// metaSlotSize bytes, written alternately, each with a generation number
// and a checksum, so a write torn by a crash leaves the other slot intact:
//
//	off size field
//	  0    4 magic "sQM2"
//	  4    4 CRC-32C of bytes 8 to 56
//	  8    8 generation
//	 16    8 reserved: no number above it has been given out
//	 24    8 oldest: index of the oldest segment the log needs
//	 32    8 newest: index of the newest segment created
//	 40    8 closedSize: size of the newest segment at a clean Close, 0 if open
//	 48    8 format version, 2
const (
	metaName     = "META"
	metaSlotSize = 64
	metaUsed     = 56
	metaMagic    = "sQM2"
	formatV2     = 2
)

// seqBlock is how many sequence numbers are reserved in META at a time.
// A push past the reservation first stores (and, unless SyncNever,
// fsyncs) a new one, so a number once given out is never given out again
// after a crash, whatever the log lost: at most one write per seqBlock
// pushes, and a gap of at most seqBlock numbers after a crash.
const seqBlock = 1024

type meta struct {
	gen, reserved, oldest, newest, closedSize uint64
}

// metaFile is META, open for the life of the File.
type metaFile struct {
	file *os.File
	m    meta
	buf  [metaSlotSize]byte
}

func (m *meta) encode(b *[metaSlotSize]byte) {
	*b = [metaSlotSize]byte{}
	copy(b[:4], metaMagic)
	binary.LittleEndian.PutUint64(b[8:], m.gen)
	binary.LittleEndian.PutUint64(b[16:], m.reserved)
	binary.LittleEndian.PutUint64(b[24:], m.oldest)
	binary.LittleEndian.PutUint64(b[32:], m.newest)
	binary.LittleEndian.PutUint64(b[40:], m.closedSize)
	binary.LittleEndian.PutUint64(b[48:], formatV2)
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[8:metaUsed], castagnoli))
}

func decodeMetaSlot(b []byte) (meta, bool) {
	if len(b) < metaUsed || string(b[:4]) != metaMagic ||
		crc32.Checksum(b[8:metaUsed], castagnoli) != binary.LittleEndian.Uint32(b[4:]) ||
		binary.LittleEndian.Uint64(b[48:]) != formatV2 {
		return meta{}, false
	}
	return meta{
		gen:        binary.LittleEndian.Uint64(b[8:]),
		reserved:   binary.LittleEndian.Uint64(b[16:]),
		oldest:     binary.LittleEndian.Uint64(b[24:]),
		newest:     binary.LittleEndian.Uint64(b[32:]),
		closedSize: binary.LittleEndian.Uint64(b[40:]),
	}, true
}

// readMeta reads META: found is false when there is no such file, ok
// false when there is one and neither slot verifies.
func readMeta(dir string) (m meta, found, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, metaName))
	if errors.Is(err, fs.ErrNotExist) {
		return meta{}, false, false, nil
	}
	if err != nil {
		return meta{}, true, false, err
	}
	for off := 0; off+metaUsed <= len(data) && off < 2*metaSlotSize; off += metaSlotSize {
		if s, good := decodeMetaSlot(data[off:]); good && (!ok || s.gen > m.gen) {
			m, ok = s, true
		}
	}
	return m, true, ok, nil
}

// openMeta opens (or creates) META for writing.
func openMeta(dir string) (*metaFile, error) {
	file, err := os.OpenFile(filepath.Join(dir, metaName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &metaFile{file: file}, nil
}

// store writes m into the slot its generation picks, then fsyncs unless
// told not to. It allocates nothing.
func (mf *metaFile) store(m meta, sync bool) error {
	m.gen = mf.m.gen + 1
	m.encode(&mf.buf)
	if _, err := mf.file.WriteAt(mf.buf[:], int64(m.gen%2)*metaSlotSize); err != nil {
		return err
	}
	if sync {
		if err := mf.file.Sync(); err != nil {
			return err
		}
	}
	mf.m = m
	return nil
}

// A segment header (format 2), the first segHeaderSize bytes of every
// segment:
//
//	off size field
//	  0    4 magic "sQS2"
//	  4    4 CRC-32C of bytes 8 to 40
//	  8    8 segment index (the name's)
//	 16    8 base: the last sequence number given out before it began
//	 24    8 prevSize: the size of the segment before it when it began
//	 32    8 prevIndex: that segment's index (its own index if none)
//
// prevSize chains each segment to the one before: a segment is never
// written again once the next one begins, so any other size found for it
// means bytes were cut off or added.
const (
	segHeaderSize = 40
	segMagic      = "sQS2"
)

type segHeader struct {
	index, base, prevSize, prevIndex uint64
}

func appendSegHeader(dst []byte, h segHeader) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, segHeaderSize)...)
	b := dst[start:]
	copy(b, segMagic)
	binary.LittleEndian.PutUint64(b[8:], h.index)
	binary.LittleEndian.PutUint64(b[16:], h.base)
	binary.LittleEndian.PutUint64(b[24:], h.prevSize)
	binary.LittleEndian.PutUint64(b[32:], h.prevIndex)
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[8:segHeaderSize], castagnoli))
	return dst
}

func decodeSegHeader(b []byte) (segHeader, bool) {
	if len(b) < segHeaderSize || string(b[:4]) != segMagic ||
		crc32.Checksum(b[8:segHeaderSize], castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return segHeader{}, false
	}
	return segHeader{
		index:     binary.LittleEndian.Uint64(b[8:]),
		base:      binary.LittleEndian.Uint64(b[16:]),
		prevSize:  binary.LittleEndian.Uint64(b[24:]),
		prevIndex: binary.LittleEndian.Uint64(b[32:]),
	}, true
}

// isFormatV1 reports whether b starts as a segment written by the first
// format (before META and segment headers): a base record of 34 bytes,
// kind 1, no payload, whose CRC-32C over bytes 4 to 34 is its first word.
func isFormatV1(b []byte) bool {
	return len(b) >= 34 && binary.LittleEndian.Uint32(b[4:]) == 0 && b[8] == 1 &&
		crc32.Checksum(b[4:34], castagnoli) == binary.LittleEndian.Uint32(b)
}

// ErrFormat is matched (with errors.Is) by the error OpenFile returns for
// a directory written in a log format this version does not read.
var ErrFormat = errors.New("queue: unsupported log format")

// FormatError is returned by OpenFile for a directory whose log was
// written in another format: the first format (development snapshots
// before META existed), which this version refuses rather than guess at.
// The directory is left untouched.
type FormatError struct {
	Dir     string
	Segment string // the segment file that gave the format away
	Version int    // the format found: 1
}

func (e *FormatError) Error() string {
	return "queue: " + filepath.Join(e.Dir, e.Segment) + " is in log format 1, which this version does not read; " +
		"drain it with the version that wrote it, or move it away"
}

// Unwrap returns ErrFormat.
func (e *FormatError) Unwrap() error { return ErrFormat }
