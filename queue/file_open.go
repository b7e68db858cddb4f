package queue

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// OpenFile opens the durable queue kept in dir, creating the directory if
// needed, and restores every message the log holds that was not
// acknowledged, in sequence order, ready for Next; numbering continues
// after the last number given out. Recovery reports what it found.
//
// Damage never makes it fail or panic: a torn tail (the last record cut
// short by a crash, or failing its checksum) is truncated; a damaged
// stretch with valid records after it is skipped, every valid record after
// it kept, and the log rewritten without it. Both are listed in
// Recovery().Damage and logged to opts.Logger. OpenFile fails on I/O
// errors, and with a *LockedError (matching ErrLocked) when another File,
// in this process or another, holds the directory.
//
// One process, one File per directory: OpenFile enforces it with flock(2)
// on Linux and the BSDs (macOS included) and with LockFileEx on Windows,
// locks the system releases when the holder dies; on Solaris, illumos,
// AIX, Plan 9 and WebAssembly it is the caller's duty.
func OpenFile(dir string, opts FileOptions) (*File, error) {
	o := opts.Options.withDefaults()
	if opts.Sync < SyncAlways || opts.Sync > SyncNever {
		opts.Sync = SyncAlways
	}
	if opts.SyncEvery <= 0 {
		opts.SyncEvery = DefaultSyncEvery
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	f := &File{
		dir:        dir,
		syncPolicy: opts.Sync,
		segBytes:   opts.SegmentBytes,
		logger:     opts.Logger,
		lock:       lock,
	}
	f.init(o)
	f.sync.every = opts.SyncEvery
	f.mu.Lock()
	err = f.recover()
	f.unlock()
	if err != nil {
		f.closeFiles()
		_ = unlockDir(lock)
		return nil, err
	}
	if f.syncPolicy == SyncInterval {
		f.sync.timer = time.AfterFunc(time.Hour, f.tick)
		f.sync.timer.Stop()
	}
	return f, nil
}

// closeFiles closes whatever a failed OpenFile had opened.
func (f *File) closeFiles() {
	for _, file := range f.log.retired {
		_ = file.Close()
	}
	if len(f.log.segs) > 0 {
		if a := f.log.active(); a.file != nil {
			_ = a.file.Close()
		}
	}
}

// recovered is a message read back from the log.
type recovered struct {
	e   Entry
	buf []byte // the whole storage block behind e.Payload
	seg int    // index in log.segs of the segment holding its last copy
}

// recover reads the log, restores the queue and starts a new active
// segment. Called with mu held, before anyone else can see f.
func (f *File) recover() error {
	names, err := segmentNames(f.dir)
	if err != nil {
		return err
	}
	var (
		sc         scanner
		live       = make(map[uint64]*recovered)
		through    uint64 // the highest AckThrough
		duplicates bool
	)
	for i, name := range names {
		index, _ := parseSegName(name)
		path := filepath.Join(f.dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		seg := &segment{index: index}
		if i > 0 {
			// Ranges stay sorted even through a segment with no push or
			// base record (one torn at its start).
			seg.maxSeq = f.log.segs[i-1].maxSeq
		}
		f.log.segs = append(f.log.segs, seg)
		f.log.next = index + 1
		last := i == len(names)-1
		keep := sc.scan(data, name, last, func(r *record) {
			f.seq = max(f.seq, r.seq)
			switch r.kind {
			case kindBase:
				seg.maxSeq = max(seg.maxSeq, r.seq)
			case kindPush:
				seg.maxSeq = max(seg.maxSeq, r.seq)
				if old, ok := live[r.seq]; ok {
					// A compaction was cut short: the copy is as good as
					// the original.
					duplicates = true
					f.store.put(old.buf)
				}
				e, buf := f.entryOf(r)
				live[r.seq] = &recovered{e: e, buf: buf, seg: len(f.log.segs) - 1}
			case kindAck:
				if old, ok := live[r.seq]; ok {
					f.store.put(old.buf)
					delete(live, r.seq)
				}
			case kindAckThrough:
				through = max(through, r.seq)
			}
		})
		seg.size = int64(keep)
		if keep < len(data) && last {
			if err := os.Truncate(path, int64(keep)); err != nil {
				return err
			}
		}
	}
	f.recovery = Recovery{Segments: len(names), Records: sc.records, LastSeq: f.seq, Damage: sc.damage}
	for _, d := range sc.damage {
		if f.logger != nil {
			f.logger.Warn(d.String())
		}
	}
	entries := make([]*recovered, 0, len(live))
	for seq, r := range live {
		if seq > through {
			entries = append(entries, r)
		} else {
			f.store.put(r.buf)
		}
	}
	slices.SortFunc(entries, func(a, b *recovered) int { return cmp.Compare(a.e.Seq, b.e.Seq) })
	overflow := f.restore(entries)

	corrupt := slices.ContainsFunc(sc.damage, func(d Damage) bool { return d.Kind == Corrupt })
	if err := f.startSegment(corrupt || duplicates || f.shouldCompact()); err != nil {
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
	return nil
}

// entryOf turns a push record into an entry whose payload is in buf, a
// block of f.store.
func (f *File) entryOf(r *record) (e Entry, buf []byte) {
	e = Entry{Seq: r.seq, Type: r.typ, Enqueued: time.Unix(0, r.enqueued)}
	if r.deadline != 0 {
		e.Deadline = time.Unix(0, r.deadline)
	}
	n := len(r.payload)
	buf = f.store.get(n)
	copy(buf, r.payload)
	e.Payload = buf[:n:n]
	return e, buf
}

// restore puts the recovered entries, in order, into the ring and the
// segment accounting, and returns the oldest ones the limits leave out.
func (f *File) restore(entries []*recovered) (overflow []*recovered) {
	var bytes int64
	keep := len(entries)
	for i := len(entries) - 1; i >= 0; i-- {
		n := int64(len(entries[i].e.Payload))
		if len(entries)-i > f.maxMessages || bytes+n > f.maxBytes {
			keep = len(entries) - 1 - i
			break
		}
		bytes += n
	}
	overflow = entries[:len(entries)-keep]
	for _, r := range entries[len(entries)-keep:] {
		f.ring.push(r.e, r.buf)
		f.log.segs[r.seg].live++
		if !r.e.Deadline.IsZero() && (f.sweepAt.IsZero() || r.e.Deadline.Before(f.sweepAt)) {
			f.sweepAt = r.e.Deadline
		}
	}
	f.recovery.Entries = keep
	f.recovery.Overflow = len(overflow)
	return overflow
}

// segmentNames lists the segment files of dir in log order.
func segmentNames(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, de := range des {
		if _, ok := parseSegName(de.Name()); ok && de.Type().IsRegular() {
			names = append(names, de.Name())
		}
	}
	// ReadDir sorts by name, and fixed-width hexadecimal names sort by
	// index.
	return names, nil
}
