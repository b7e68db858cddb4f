package queue

import "encoding/binary"

// scanner walks the records of a log, segment after segment, separating
// valid records from damage. It knows nothing of files; recovery feeds it
// each segment's bytes after the segment header.
type scanner struct {
	damage []Damage

	// after is the highest push number met so far, known the highest
	// number known given out (pushes, and segments' bases); waiting
	// indexes the first damage still waiting for its Before.
	after   uint64
	known   uint64
	waiting int
	records int

	// segMax is the highest push number in the current segment: pushes of
	// one segment are written in increasing order, compaction copies too.
	segMax uint64
}

// segment starts a new segment whose header says base.
func (s *scanner) segment(base uint64) {
	// Not after: a compacted segment copies messages numbered below its
	// base, and damage among them must be bounded by them.
	s.segMax = 0
	s.known = max(s.known, base)
}

// report adds a damage, bounded by the records around it.
func (s *scanner) report(d Damage) {
	d.After = s.after
	s.damage = append(s.damage, d)
}

// scan calls visit for each valid record of one segment's records (data,
// which starts at offset base of the file), in order, and returns how many
// leading bytes of data to keep: all of it, unless it ends in damage.
//
// Damage is told apart by what a crash can and cannot do. A process killed
// mid-write leaves a prefix of what it wrote, so a segment that ends in a
// header cut short, in a verified header whose payload is cut short, or in
// zeros (what some file systems leave after a power cut) is a TornTail in
// the last segment. Anything else is Corrupt: a header that fails its
// checksum with a full header's bytes present, a payload that fails its
// checksum behind a verified header (reported with that header's number),
// records out of order, or a tail cut off a segment that is not the last
// (one is complete before the next begins). A damaged header is skipped by
// looking for the next header that verifies; a damaged payload by the
// length its verified header gives. The record passed to visit aliases
// data; records out of order are reported and still visited: they are
// genuine, only misplaced.
func (s *scanner) scan(data []byte, base int, name string, last bool, visit func(*record)) int {
	off := 0
	for off < len(data) {
		r, n, err := decodeRecord(data[off:])
		d := Damage{Kind: Corrupt, Segment: name, Offset: int64(base + off)}
		switch {
		case err == nil:
			// A removal or mark names a number already given out; once
			// damage has hidden some pushes that cannot be checked, and the
			// damage is reported already.
			if (r.kind == kindPush && r.seq <= s.segMax) || (r.kind != kindPush && r.seq > max(s.after, s.known) && len(s.damage) == 0) {
				d.Length, d.Seq = int64(n), r.seq
				s.report(d)
			}
			s.valid(&r)
			visit(&r)
			off += n
			continue
		case err == errBadPayload:
			d.Length, d.Seq = int64(n), r.seq
			s.report(d)
			if r.kind == kindPush {
				// The verified header's number is trustworthy.
				s.segMax = max(s.segMax, r.seq)
				s.after = max(s.after, r.seq)
			}
			off += n
			continue
		case err == errShortRecord:
			// n > 0: the header verified, the payload is cut short.
			d.Length = int64(len(data) - off)
			if n > 0 {
				d.Seq = r.seq
			} else {
				d.Seq, _ = peekSeq(data[off:])
			}
			if last {
				d.Kind = TornTail
			}
			s.report(d)
			return off
		}
		next := resync(data, off+1)
		d.Seq, _ = peekSeq(data[off:])
		if next < 0 {
			d.Length = int64(len(data) - off)
			if last && allZero(data[off:]) {
				d.Kind = TornTail
			}
			s.report(d)
			return off
		}
		d.Length = int64(next - off)
		s.report(d)
		off = next
	}
	return off
}

// valid notes a good record: a push bounds the damage before it.
func (s *scanner) valid(r *record) {
	s.records++
	if r.kind != kindPush {
		return
	}
	for i := s.waiting; i < len(s.damage); i++ {
		s.damage[i].Before = r.seq
	}
	s.waiting = len(s.damage)
	s.segMax = max(s.segMax, r.seq)
	s.after = max(s.after, r.seq)
}

// resync returns the offset of the first record header at or after from
// that verifies, or -1. Each offset costs one check of a fixed-size header
// whatever length it claims, so a scan is linear in the bytes it covers.
// A random stretch passes the marker check one time in 65,536 and the
// header checksum practically never (one chance in 2^32).
func resync(data []byte, from int) int {
	for p := from; p+recHeaderSize <= len(data); p++ {
		if binary.LittleEndian.Uint16(data[p+14:]) != recMarker {
			continue
		}
		if _, err := decodeHeader(data[p:]); err == nil {
			return p
		}
	}
	return -1
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
