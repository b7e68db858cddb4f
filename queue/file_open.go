package queue

import (
	"os"
	"time"
)

// OpenFile opens the durable queue kept in dir, creating the directory if
// needed, and restores every message the log holds that was not
// acknowledged, in sequence order, ready for Next; numbering continues
// after every number given out before (see File). Recovery reports what it
// found.
//
// Damage never makes it fail or panic: it is repaired as File's Recovery
// section says, listed in Recovery().Damage and logged to opts.Logger.
// OpenFile fails on I/O errors, with a *LockedError (matching ErrLocked)
// when another File, in this process or another, holds the directory, and
// with a *FormatError (matching ErrFormat) for a directory written in the
// first log format, which it leaves untouched.
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
	f.dropFn = f.dropAt
	f.gated = f.syncPolicy == SyncAlways
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
	if f.meta != nil {
		_ = f.meta.file.Close()
	}
}

// recovered is a message read back from the log.
type recovered struct {
	e   Entry
	buf []byte // the whole storage block behind e.Payload
	seg int    // index in log.segs of the segment holding its last copy
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
		// An entry in doubt may have been sent: if it expires, it is
		// not "never sent".
		f.ring.at(f.ring.tail - 1).sent = r.e.InDoubt
		f.log.segs[r.seg].live++
		f.watch(r.e.Deadline)
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
