package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// segExt ends the name of every segment file: 16 hexadecimal digits of the
// segment's index, which only grows, so names sort in log order.
const segExt = ".seg"

func segName(index uint64) string { return fmt.Sprintf("%016x%s", index, segExt) }

// parseSegName returns the index of a segment file name; ok is false for
// any other file, which the queue leaves alone.
func parseSegName(name string) (uint64, bool) {
	hex, found := strings.CutSuffix(name, segExt)
	if !found || len(hex) != 16 {
		return 0, false
	}
	i, err := strconv.ParseUint(hex, 16, 64)
	return i, err == nil
}

// segment is one file of the log.
//
// Segments hold disjoint, increasing ranges of sequence numbers: every
// push record of a segment is numbered above maxSeq of the segment before
// it. So the segment holding a message's record is the first whose maxSeq
// is at least its number, found by binary search, and no per-entry
// bookkeeping is needed. Compaction keeps the invariant by copying every
// live message into a new segment and deleting all the older ones.
type segment struct {
	index  uint64
	file   *os.File // open while the segment is active, nil after
	size   int64
	maxSeq uint64 // the highest push or base sequence number in it
	live   int    // live messages whose record is here
}

// segLog is the File's log, guarded by File.mu. Its last segment is the
// active one, the only one written to.
type segLog struct {
	segs    []*segment
	next    uint64 // index for the next segment
	enc     []byte // encoding buffer, reused
	written uint64 // bytes written since OpenFile: the position syncs track
	broken  error  // a write failed and could not be undone; the log is read-only

	// retired are the files of segments rolled over but maybe not yet
	// fsynced. The syncer owns them from then on: it syncs and closes
	// them, so a roll never waits for an fsync running concurrently.
	retired []*os.File
	armed   bool // the SyncInterval timer is running

	// marked is the highest number MarkSending recorded, in this run or
	// an earlier one; compaction copies the mark with the messages.
	marked uint64
}

func (l *segLog) active() *segment { return l.segs[len(l.segs)-1] }

// release notes that the message numbered seq has left the queue.
func (l *segLog) release(seq uint64) {
	lo, hi := 0, len(l.segs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if l.segs[mid].maxSeq < seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(l.segs) && l.segs[lo].live > 0 {
		l.segs[lo].live--
	}
}

// write appends b to the active segment. A failed write is undone by
// truncating the segment back, because a partial record followed by later
// ones would read as damage in the middle of the log; if even that fails,
// the log is marked broken and refuses every later write.
func (l *segLog) write(b []byte) error {
	s := l.active()
	if _, err := s.file.WriteAt(b, s.size); err != nil {
		if terr := s.file.Truncate(s.size); terr != nil {
			l.broken = fmt.Errorf("queue: log unusable after a failed write: %w", errors.Join(err, terr))
		}
		return err
	}
	s.size += int64(len(b))
	l.written += uint64(len(b))
	return nil
}

// appendRec writes r to the log, moving to a new segment first when the
// active one is full, and returns the log position a sync must reach for r
// to be durable. Called with mu held.
func (f *File) appendRec(r *record) (uint64, error) {
	l := &f.log
	if l.broken != nil {
		return 0, l.broken
	}
	if s := l.active(); s.size > segHeaderSize && s.size+int64(r.size()) > f.segBytes {
		if err := f.startSegment(f.shouldCompact()); err != nil {
			return 0, err
		}
	}
	l.enc = appendRecord(l.enc[:0], r)
	if err := l.write(l.enc); err != nil {
		return 0, err
	}
	if r.kind == kindPush {
		s := l.active()
		s.maxSeq = max(s.maxSeq, r.seq)
		s.live++
	}
	f.kick()
	return l.written, nil
}

// shouldCompact reports that the log has grown to more than twice what
// its live messages need, plus two segments of slack: a few old messages
// that are never acknowledged would otherwise pin every segment after
// theirs, and the disk would grow without bound. Compacting only then
// copies each live byte at most once per dead byte reclaimed.
func (f *File) shouldCompact() bool {
	var disk int64
	for _, s := range f.log.segs {
		disk += s.size
	}
	live := f.ring.bytes + int64(f.ring.count)*recHeaderSize
	return disk > 2*live+2*f.segBytes
}

// startSegment makes a new segment the active one. With compact it first
// copies every live message into it and then deletes every older segment.
// The new segment is fsynced (unless SyncNever) before anything relies on
// it: before the old segments are deleted, so a crash in between leaves
// duplicates, which OpenFile removes, and never a loss. Called with mu
// held; on error nothing has changed.
func (f *File) startSegment(compact bool) error {
	l := &f.log
	name := segName(l.next)
	path := filepath.Join(f.dir, name)
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	s := &segment{index: l.next, file: file, maxSeq: f.seq}
	h := segHeader{index: l.next, base: f.seq, prevIndex: l.next}
	if len(l.segs) > 0 {
		h.prevIndex, h.prevSize = l.active().index, uint64(l.active().size)
	}
	if err := f.fillSegment(s, h, compact); err != nil {
		_ = file.Close()
		_ = os.Remove(path)
		return err
	}
	l.next++
	if len(l.segs) > 0 {
		if old := l.active(); old.file != nil {
			if f.syncPolicy == SyncNever {
				_ = old.file.Close()
			} else {
				l.retired = append(l.retired, old.file)
			}
			old.file = nil
		}
	}
	l.segs = append(l.segs, s)
	// META learns of the segment only once it exists, so a crash in
	// between leaves a segment META does not list yet, which is read as
	// any other, never one META lists and the directory lacks. A failure
	// here only weakens the next recovery's checks.
	f.warn(f.storeMeta(f.meta.m.reserved, l.segs[0].index), "cannot record a new segment in META")
	if compact {
		for _, old := range l.segs[:len(l.segs)-1] {
			// maxSeq 0 keeps the ranges sorted and sends every lookup to
			// the new segment, even if deleting an old one fails.
			old.live, old.maxSeq = 0, 0
		}
		s.live = f.ring.count
	}
	f.trim()
	return nil
}

// fillSegment writes the new segment's header and, for a compaction, a
// copy of every live message, in order, then syncs it.
func (f *File) fillSegment(s *segment, h segHeader, compact bool) error {
	buf := appendSegHeader(f.log.enc[:0], h)
	flush := func() error {
		if _, err := s.file.WriteAt(buf, s.size); err != nil {
			return err
		}
		s.size += int64(len(buf))
		f.log.written += uint64(len(buf))
		buf = buf[:0]
		return nil
	}
	if compact {
		r := &f.ring
		for p := r.head; p < r.tail; p++ {
			sl := r.at(p)
			if !sl.live {
				continue
			}
			rec := pushRecord(&sl.e)
			buf = appendRecord(buf, &rec)
			if len(buf) >= 1<<20 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if f.log.marked > 0 {
			// After the copies: a mark covers only messages before it.
			buf = appendRecord(buf, &record{kind: kindMark, seq: f.log.marked})
		}
	}
	err := flush()
	f.log.enc = buf[:0]
	if err != nil || f.syncPolicy == SyncNever {
		return err
	}
	if err := f.fsync(s.file); err != nil {
		return err
	}
	// The new file's name must be durable too, or a power loss could
	// leave the records in a file no directory lists.
	return syncDir(f.dir)
}

// pushRecord returns the log record of a held entry.
func pushRecord(e *Entry) record {
	r := record{kind: kindPush, typ: e.Type, seq: e.Seq, enqueued: e.Enqueued.UnixNano(), payload: e.Payload}
	if !e.Deadline.IsZero() {
		r.deadline = e.Deadline.UnixNano()
	}
	return r
}

// trim deletes the oldest segments while nothing live is left in them.
// A segment whose deletion fails stays, and stops the trimming, so that
// segments always go oldest first: a newer segment may hold the
// acknowledgements of an older one's messages, and deleting it alone
// would bring those messages back. Called with mu held.
func (f *File) trim() {
	l := &f.log
	k := 0
	for k < len(l.segs)-1 && l.segs[k].live == 0 {
		k++
	}
	if k == 0 {
		return
	}
	// META first: a segment deleted that META still lists would read as
	// lost; one META no longer lists is deleted by the next OpenFile.
	if err := f.storeMeta(f.meta.m.reserved, l.segs[k].index); err != nil {
		f.warn(err, "cannot record released segments in META")
		return
	}
	for len(l.segs) > 1 && l.segs[0].live == 0 {
		err := os.Remove(filepath.Join(f.dir, segName(l.segs[0].index)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			if f.logger != nil {
				f.logger.Warn("queue: cannot delete an acknowledged segment", "err", err)
			}
			return
		}
		l.segs[0] = nil
		l.segs = l.segs[1:]
	}
}

// storeMeta records in META the numbers reserved and the segments of the
// log, fsynced unless the policy is SyncNever. Called with mu held.
func (f *File) storeMeta(reserved, oldest uint64) error {
	m := meta{reserved: reserved, newest: f.log.active().index, oldest: oldest}
	return f.meta.store(m, f.syncPolicy != SyncNever)
}

// warn logs err, if any, with what failed.
func (f *File) warn(err error, what string) {
	if err != nil && f.logger != nil {
		f.logger.Warn("queue: "+what, "err", err)
	}
}
