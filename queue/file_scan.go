package queue

// scanner walks the records of a log, segment after segment, separating
// valid records from damage. It knows nothing of files; recovery feeds it
// each segment's bytes.
type scanner struct {
	damage []Damage

	// after is the highest sequence number of a push or base record met
	// so far; waiting indexes the first damage still waiting for its
	// Before.
	after   uint64
	waiting int
	records int
}

// scan calls visit for each valid record of one segment, in order, and
// returns how many leading bytes to keep: all of data, unless it ends in
// damage. A damaged stretch with a valid record after it is skipped and
// reported as Corrupt; damage that runs to the end is TornTail in the last
// segment (a write cut short) and Corrupt elsewhere (a segment is complete
// before the next one is started). The record passed to visit aliases
// data.
func (s *scanner) scan(data []byte, name string, last bool, visit func(*record)) int {
	off := 0
	for off < len(data) {
		r, n, err := decodeRecord(data[off:])
		if err == nil {
			s.valid(&r)
			visit(&r)
			off += n
			continue
		}
		next := resync(data, off+1)
		d := Damage{Kind: Corrupt, Segment: name, Offset: int64(off), After: s.after}
		d.Seq, _ = peekSeq(data[off:])
		if next < 0 {
			d.Length = int64(len(data) - off)
			if last {
				d.Kind = TornTail
			}
			s.damage = append(s.damage, d)
			return off
		}
		d.Length = int64(next - off)
		s.damage = append(s.damage, d)
		off = next
	}
	return off
}

// valid notes a good record: it bounds the damage before it.
func (s *scanner) valid(r *record) {
	s.records++
	if r.kind != kindPush && r.kind != kindBase {
		return
	}
	if r.kind == kindPush {
		for i := s.waiting; i < len(s.damage); i++ {
			s.damage[i].Before = r.seq
		}
		s.waiting = len(s.damage)
	}
	s.after = max(s.after, r.seq)
}

// resync returns the offset of the first valid record at or after from, or
// -1. Every offset is tried, so no valid record after damage is skipped;
// a random stretch passes the kind and length checks rarely, and the
// checksum practically never (one chance in 2^32 per candidate).
func resync(data []byte, from int) int {
	for p := from; p+recHeaderSize <= len(data); p++ {
		if _, _, err := decodeRecord(data[p:]); err == nil {
			return p
		}
	}
	return -1
}
