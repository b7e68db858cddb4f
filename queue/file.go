package queue

import (
	"log/slog"
	"os"
	"strconv"
	"time"
)

// SyncPolicy says when a File forces its log to stable storage (fsync),
// and so what a returned Push promises.
type SyncPolicy int

const (
	// SyncAlways makes every Push wait until its record has been fsynced:
	// once Push returns, the message survives a crash of the process, of
	// the operating system or of the power. Concurrent Pushes share one
	// fsync (group commit), so the cost is one fsync per burst, not per
	// message. It is the default because durability is the only reason to
	// choose a File over a Memory queue, and a device that reboots
	// (power loss, watchdog) is the case the durable queue is for.
	SyncAlways SyncPolicy = iota

	// SyncInterval writes each record to the operating system before Push
	// returns, and fsyncs at most FileOptions.SyncEvery later: a crash of
	// the process loses nothing that Push returned, a crash of the machine
	// loses at most the last SyncEvery of messages.
	SyncInterval

	// SyncNever writes each record to the operating system before Push
	// returns and leaves flushing to it: a crash of the process loses
	// nothing, a crash of the machine may lose whatever the kernel had not
	// yet written back (typically up to 30 s on Linux).
	SyncNever
)

var syncNames = [...]string{"SyncAlways", "SyncInterval", "SyncNever"}

// String returns the constant's name.
func (p SyncPolicy) String() string {
	if p >= 0 && int(p) < len(syncNames) {
		return syncNames[p]
	}
	return "SyncPolicy(" + strconv.Itoa(int(p)) + ")"
}

// Defaults for the zero fields of FileOptions.
const (
	DefaultSyncEvery    = 100 * time.Millisecond
	DefaultSegmentBytes = 4 << 20
)

// FileOptions configure a File. The zero value is ready to use.
type FileOptions struct {
	// Options are the limits, overflow policy, OnDrop and clock, with the
	// same meaning and defaults as for Memory. They may change between
	// runs; see Recovery.Overflow.
	Options

	// Sync is when the log is fsynced. Default SyncAlways; a value that
	// is not a SyncPolicy constant also means SyncAlways.
	Sync SyncPolicy

	// SyncEvery is the longest a record waits for its fsync under
	// SyncInterval. Zero or negative means DefaultSyncEvery.
	SyncEvery time.Duration

	// SegmentBytes is the size at which the log moves on to a new segment
	// file; fully acknowledged segments are deleted whole. A record larger
	// than this gets a segment to itself. Zero or negative means
	// DefaultSegmentBytes.
	SegmentBytes int64

	// Logger receives damage found on open and failures to delete
	// segments. nil means silent.
	Logger *slog.Logger
}

// File is a durable [Queue]: it behaves as a Memory queue does (same
// limits, overflow policies, expiry, drop reports, cursor and
// acknowledgements) and also writes every change to an append-only log in
// a directory, so that a program that crashes or restarts finds, after
// OpenFile, every message it had not seen acknowledged, in order, with its
// sequence number, and numbering continues where it stopped. Create it
// with OpenFile.
//
// # The log
//
// The directory holds a LOCK file, a META file (the numbers reserved and
// the segments the log has) and segment files (0000000000000000.seg,
// 0000000000000001.seg, …), each opening with a header that chains it to
// the one before, then records whose 40-byte headers verify on their own
// (CRC-32C over the header, which holds the payload's CRC-32C). A push writes the message; Ack, and every drop by expiry or
// eviction, writes a removal naming one sequence number; AckThrough and
// Drain write one cumulative removal. Reading the log back in order and
// applying the removals restores exactly the entries held, so an entry
// acknowledged out of order is never replayed. A segment whose messages
// have all left is deleted, oldest first. When a few messages are never
// acknowledged while others flow past them, the log is compacted: the
// live messages are copied into a new segment and every older one is
// deleted. So the disk holds at most about twice the live messages plus
// their 40-byte record headers, plus three segments (Options.SegmentBytes).
// docs/architecture.md describes the format and what each kind of damage
// costs.
//
// # What survives what
//
// Push returns once its record is as durable as FileOptions.Sync says:
//
//   - SyncAlways (the default): fsynced. A message whose Push returned
//     survives a crash of the process, of the kernel or of the power, and
//     the consumer is handed an entry only once it is fsynced.
//   - SyncInterval: written to the kernel at once, fsynced within
//     SyncEvery. It survives a crash of the process; a crash of the
//     machine may lose the last SyncEvery of messages.
//   - SyncNever: written to the kernel, never fsynced. It survives a
//     crash of the process; a crash of the machine may lose anything the
//     kernel had not written back, which after a compaction can include
//     older messages.
//
// Removals (Ack, AckThrough, drops) are written to the kernel before the
// call returns and fsynced with the next push or tick: a crash of the
// process never brings an acknowledged message back; a crash of the
// machine may, as a duplicate, which at-least-once delivery allows.
//
// MarkSending, which an at-most-once writer calls before writing a batch,
// is written to the kernel before it returns, and under SyncAlways also
// fsynced; the entries it covers that were not acknowledged come back
// after a restart with Entry.InDoubt set, so they are reported instead of
// sent twice.
//
// # Recovery
//
// OpenFile reads the whole log and checks it against META and the segment
// headers. A torn tail (the last segment ending in a record cut short, or
// in zeros) is truncated; a damaged record or stretch is skipped, every
// valid record after it kept; a missing segment, or one shorter than the
// log recorded, is reported as Lost; records out of order are reported
// and still applied. Anything but a torn tail makes OpenFile rewrite the
// log without it. Each is reported once in Recovery().Damage, with the
// damaged record's sequence number and the numbers of the valid pushes
// around it; OpenFile never panics on what it reads, and a message whose
// acknowledgement was lost comes back only with such a report.
//
// # Numbering
//
// A sequence number is never given out twice for the life of the
// directory: numbers are reserved in META, a block at a time, fsynced
// (unless SyncNever) before any is used, and OpenFile continues after the
// reservation. So after a crash numbering skips ahead (at most 1024);
// after a clean Close it continues exactly.
//
// # Memory and concurrency
//
// Entries are held in memory too (payloads in recycled blocks, as in
// Memory), so Next never reads the disk and a warmed-up File allocates
// nothing per message. Concurrency is Memory's: many producers, one
// consumer. Concurrent Pushes under SyncAlways share an fsync. The only
// goroutines a File runs are its timers' (expiry, and SyncInterval's
// syncs), which Close stops; it waits for a sync under way.
type File struct {
	core

	dir        string
	syncPolicy SyncPolicy
	segBytes   int64
	logger     *slog.Logger
	lock       *os.File
	meta       *metaFile // guarded by mu
	recovery   Recovery

	log  segLog // guarded by mu
	sync syncer

	// closeDone is closed when the first Close has released everything;
	// a later Close waits for it. Made by that first Close, under mu.
	closeDone chan struct{}
	// closeWaitHook, when set by a test, runs before a later Close waits.
	closeWaitHook func()
}

var _ Queue = (*File)(nil)

// Durable reports true: Close keeps the entries, on disk, for the next
// OpenFile of the directory. The client relies on it not to report them
// as undelivered when it closes.
func (f *File) Durable() bool { return true }

// Dir returns the queue's directory.
func (f *File) Dir() string { return f.dir }

// Recovery returns what OpenFile found in the directory.
func (f *File) Recovery() Recovery { return f.recovery }

// Close wakes every blocked Push and Next with ErrClosed, refuses new
// work, waits for a SyncInterval sync already under way, syncs the log
// (unless the policy is SyncNever), closes its files and releases the
// directory, which another File may then open. The
// entries stay on disk for that next OpenFile: a closed File cannot be
// drained. It returns once every drop made before it has been reported
// to OnDrop, so it must not be called from OnDrop, and returns the error
// of the final sync, if any. Safe for concurrent use; idempotent.
func (f *File) Close() error {
	f.mu.Lock()
	if f.closed {
		// Another Close is under way, or done: this one too returns
		// once the drops made before it are reported, and once that
		// Close has synced, closed the files and released the directory.
		f.await()
		done := f.closeDone
		f.mu.Unlock()
		if f.closeWaitHook != nil {
			f.closeWaitHook()
		}
		<-done
		return nil
	}
	f.closed = true
	f.closeDone = make(chan struct{})
	defer close(f.closeDone)
	close(f.done)
	f.wakeConsumer()
	f.stopExpiry()
	f.mu.Unlock()
	err := f.sync.close(f)
	f.mu.Lock()
	if f.log.broken == nil {
		// A clean close: numbers stop exactly where they did, and the
		// newest segment's size is recorded, so a cut is seen next time.
		m := f.meta.m
		m.reserved, m.closedSize = f.seq, uint64(f.log.active().size)
		if merr := f.meta.store(m, f.syncPolicy != SyncNever); err == nil {
			err = merr
		}
	}
	if cerr := f.meta.file.Close(); err == nil {
		err = cerr
	}
	f.await()
	f.mu.Unlock()
	if lerr := unlockDir(f.lock); err == nil {
		err = lerr
	}
	return err
}
