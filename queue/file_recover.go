package queue

import (
	"cmp"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// recover reads the log, restores the queue and starts a new active
// segment. Called with mu held, before anyone else can see f.
//
// It checks what the records cannot show about themselves against META
// and the segment headers: the segments from META's oldest to its newest
// must all be there, each as long as the next one's header (or META,
// after a clean Close) says; a gap is reported as Lost. Numbering
// continues after the highest of META's reservation, the segments' bases
// and the numbers in the records, so no number is given out twice.
func (f *File) recover() error {
	names, err := segmentNames(f.dir)
	if err != nil {
		return err
	}
	m, found, metaOK, err := readMeta(f.dir)
	if err != nil {
		return err
	}
	if !found && len(names) > 0 {
		if err := refuseFormatV1(f.dir, names[0]); err != nil {
			return err
		}
	}
	var sc scanner
	if len(names) > 0 && !metaOK {
		sc.report(Damage{Kind: LostMeta, Segment: metaName})
	}
	if f.meta, err = openMeta(f.dir); err != nil {
		return err
	}
	f.meta.m = m

	rs := recovering{f: f, sc: &sc, live: make(map[uint64]*recovered)}
	var from, to uint64 // the segments the log should have
	if len(names) > 0 {
		from, _ = parseSegName(names[0])
		to, _ = parseSegName(names[len(names)-1])
	}
	if metaOK {
		rs.closedSize, rs.newest = m.closedSize, m.newest
		from, to = m.oldest, max(m.newest, to)
		for _, name := range names {
			if index, _ := parseSegName(name); index < m.oldest {
				// Released before a crash cut its deletion short: every
				// message in it had left the queue, as META records.
				if err := os.Remove(filepath.Join(f.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
		}
	}
	if len(names) > 0 || metaOK {
		// Present segments in order, each missing run between them
		// reported once: a stray file with a huge index must not make
		// this loop count to it.
		next := from
		for _, name := range names {
			index, _ := parseSegName(name)
			if index < from {
				continue
			}
			lostRun(&sc, next, index)
			if err := rs.segment(index, name, index == to); err != nil {
				return err
			}
			next = index + 1
		}
		if next <= to {
			lostRun(&sc, next, to+1)
		}
	}
	f.seq = max(f.seq, m.reserved)
	f.recovery = Recovery{Segments: len(names), Records: sc.records, LastSeq: f.seq, Damage: sc.damage}
	for _, d := range sc.damage {
		if f.logger != nil {
			f.logger.Warn(d.String())
		}
	}
	return f.restoreFrom(&rs)
}

// lostRun reports the segments from up to (not including) to as Lost:
// one damage naming the file, or "first..last" for a run.
func lostRun(sc *scanner, from, to uint64) {
	if from >= to {
		return
	}
	name := segName(from)
	if to-from > 1 {
		name += ".." + segName(to-1)
	}
	sc.report(Damage{Kind: Lost, Segment: name})
}

// refuseFormatV1 returns a *FormatError if the segment is in the first
// log format.
func refuseFormatV1(dir, name string) error {
	file, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer file.Close()
	var b [34]byte
	if n, _ := file.ReadAt(b[:], 0); n == len(b) && isFormatV1(b[:]) {
		return &FormatError{Dir: dir, Segment: name, Version: 1}
	}
	return nil
}

// recovering is the state of one recovery.
type recovering struct {
	f          *File
	sc         *scanner
	live       map[uint64]*recovered
	early      map[uint64]bool // acks met before their push (records out of order)
	through    uint64          // the highest AckThrough
	duplicates bool

	closedSize, newest uint64 // from META

	prev    *segment // the last segment read
	prevLen int64    // its length as found, before any truncation
}

// segment reads one segment file into the recovery.
func (rs *recovering) segment(index uint64, name string, last bool) error {
	f, sc := rs.f, rs.sc
	path := filepath.Join(f.dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	seg := &segment{index: index}
	if rs.prev != nil {
		// Ranges stay sorted even through a segment torn at its start.
		seg.maxSeq = rs.prev.maxSeq
	}
	f.log.segs = append(f.log.segs, seg)
	f.log.next = index + 1

	if index == rs.newest && rs.closedSize > uint64(len(data)) {
		// Shorter than at the clean Close that wrote META.
		defer sc.report(Damage{Kind: Lost, Segment: name, Offset: int64(len(data)), Length: int64(rs.closedSize) - int64(len(data))})
	}
	start := min(len(data), segHeaderSize)
	h, ok := decodeSegHeader(data)
	switch {
	case ok && h.index == index:
		rs.checkPrev(h)
		sc.segment(h.base)
		seg.maxSeq = max(seg.maxSeq, h.base)
		f.seq = max(f.seq, h.base)
	case len(data) < segHeaderSize && last:
		// A roll cut short by a crash before its header was whole:
		// nothing was written after it. Written again, it reads as an
		// empty segment next time.
		if len(data) > 0 {
			sc.report(Damage{Kind: TornTail, Segment: name, Length: int64(len(data))})
		}
		h := segHeader{index: index, base: f.seq, prevIndex: index}
		if rs.prev != nil {
			h.prevIndex, h.prevSize = rs.prev.index, uint64(rs.prevLen)
		}
		return rs.rewriteHeader(path, seg, h)
	case len(data) < segHeaderSize:
		// Cut inside its header; the next header's chain (or META) says
		// how much is missing, and reports it as Lost.
		sc.segment(0)
	default:
		sc.report(Damage{Kind: Corrupt, Segment: name, Length: int64(start)})
		sc.segment(0)
	}
	// After a clean Close the newest segment ended whole: damage at its
	// end is not a write cut short.
	closed := index == rs.newest && rs.closedSize > 0
	keep := start + sc.scan(data[start:], start, name, last && !closed, rs.visit(seg, len(f.log.segs)-1))
	seg.size = int64(keep)
	if keep < len(data) && last {
		if err := os.Truncate(path, int64(keep)); err != nil {
			return err
		}
		seg.size = int64(keep)
	}
	rs.prev, rs.prevLen = seg, int64(len(data))
	return nil
}

// rewriteHeader replaces a segment torn inside its header with an empty
// segment.
func (rs *recovering) rewriteHeader(path string, seg *segment, h segHeader) error {
	if err := os.WriteFile(path, appendSegHeader(nil, h), 0o600); err != nil {
		return err
	}
	seg.size = segHeaderSize
	rs.prev, rs.prevLen = seg, segHeaderSize
	return nil
}

// checkPrev compares the size the header h records for the segment before
// it with what was read of it.
func (rs *recovering) checkPrev(h segHeader) {
	p := rs.prev
	if p == nil || h.prevIndex != p.index || uint64(rs.prevLen) == h.prevSize {
		return
	}
	d := Damage{Kind: Lost, Segment: segName(p.index), Offset: rs.prevLen, Length: int64(h.prevSize) - rs.prevLen}
	if d.Length < 0 {
		d.Kind, d.Offset, d.Length = Corrupt, int64(h.prevSize), -d.Length
	}
	rs.sc.report(d)
}

// visit returns the function that applies each valid record of segment
// seg (at position i in log.segs).
func (rs *recovering) visit(seg *segment, i int) func(*record) {
	f := rs.f
	return func(r *record) {
		f.seq = max(f.seq, r.seq)
		switch r.kind {
		case kindPush:
			seg.maxSeq = max(seg.maxSeq, r.seq)
			if rs.early[r.seq] {
				return
			}
			if old, ok := rs.live[r.seq]; ok {
				// A compaction was cut short: the copy is as good as
				// the original.
				rs.duplicates = true
				f.store.put(old.buf)
			}
			e, buf := f.entryOf(r)
			rs.live[r.seq] = &recovered{e: e, buf: buf, seg: i}
		case kindAck:
			if old, ok := rs.live[r.seq]; ok {
				f.store.put(old.buf)
				delete(rs.live, r.seq)
				return
			}
			if r.seq > rs.sc.segMax {
				// Before its push: only records out of order do that.
				if rs.early == nil {
					rs.early = make(map[uint64]bool)
				}
				rs.early[r.seq] = true
			}
		case kindAckThrough:
			rs.through = max(rs.through, r.seq)
		case kindMark:
			f.log.marked = max(f.log.marked, r.seq)
		}
	}
}

// restoreFrom puts what the recovery kept into the queue, starts the new
// active segment (rewriting the log without the damage, if any), and
// records the new state in META.
func (f *File) restoreFrom(rs *recovering) error {
	entries := make([]*recovered, 0, len(rs.live))
	for seq, r := range rs.live {
		if seq > rs.through {
			r.e.InDoubt = seq <= f.log.marked
			entries = append(entries, r)
		} else {
			f.store.put(r.buf)
		}
	}
	slices.SortFunc(entries, func(a, b *recovered) int { return cmp.Compare(a.e.Seq, b.e.Seq) })
	overflow := f.restore(entries)

	damaged := slices.ContainsFunc(rs.sc.damage, func(d Damage) bool { return d.Kind != TornTail })
	if err := f.startSegment(damaged || rs.duplicates || f.shouldCompact()); err != nil {
		return err
	}
	for _, r := range overflow {
		// The active segment exists now, so the drop can be logged.
		rec := record{kind: kindAck, seq: r.e.Seq}
		if _, err := f.appendRec(&rec); err != nil {
			return err
		}
		f.drop(slot{e: r.e, buf: r.buf}, ReasonOverflowOldest)
	}
	f.trim()
	return f.storeMeta(f.seq, f.log.segs[0].index)
}
