package queue

import "time"

// Ack removes the entry numbered seq, handed out or not, and logs the
// removal, so the entry is not replayed after a restart. An unknown or
// already removed seq is ignored. The removal is written to the operating
// system before Ack returns, so a crash of the process cannot bring the
// entry back; it reaches the disk with the next sync, so a power loss
// before that may, which at-least-once delivery tolerates as a duplicate.
// Safe for concurrent use.
func (f *File) Ack(seq uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	pos, ok := f.ring.find(seq)
	if !ok {
		return nil
	}
	handed := pos < f.ring.cursor
	f.retire(f.forget(pos), handed)
	_, err := f.appendRec(&record{kind: kindAck, seq: seq})
	f.trim()
	return err
}

// AckThrough removes every entry whose sequence number is at most seq,
// with one log record, on the terms of Ack. Safe for concurrent use.
func (f *File) AckThrough(seq uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	var last uint64
	for f.ring.head < f.ring.tail && f.ring.at(f.ring.head).e.Seq <= seq {
		handed := f.ring.head < f.ring.cursor
		s := f.forget(f.ring.head)
		last = s.e.Seq
		f.retire(s, handed)
	}
	if last == 0 {
		return nil
	}
	// The record names the last entry removed, not seq: a seq beyond
	// what was pushed must not remove later pushes when the log is read.
	_, err := f.appendRec(&record{kind: kindAckThrough, seq: last})
	f.trim()
	return err
}

// Drain removes every entry held and passes each to fn, oldest first,
// without holding the lock, like Memory.Drain; the removal is logged, so
// a drained entry is not replayed after a restart. On a closed File it
// returns ErrClosed and leaves the entries on disk for the next OpenFile.
// Safe for concurrent use, but stop the consumer first.
func (f *File) Drain(fn func(Entry)) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return ErrClosed
	}
	f.reclaim()
	if f.ring.count == 0 {
		f.unlock()
		return nil
	}
	if f.space != nil {
		close(f.space)
		f.space = nil
	}
	f.sweepAt = time.Time{}
	all := f.ring.takeAll()
	for _, s := range f.log.segs {
		s.live = 0
	}
	_, err := f.appendRec(&record{kind: kindAckThrough, seq: all[len(all)-1].e.Seq})
	f.trim()
	if fn == nil {
		for _, s := range all {
			f.drop(s, ReasonClosed)
		}
		f.unlock()
		return err
	}
	f.unlock()
	for _, s := range all {
		fn(s.e)
	}
	f.mu.Lock()
	for _, s := range all {
		f.store.put(s.buf)
	}
	f.mu.Unlock()
	return err
}

// forget takes the entry at pos out of the ring and the segment
// accounting, and wakes the producers waiting for room. Every removal
// goes through here; the caller logs it.
func (f *File) forget(pos uint64) slot {
	if f.space != nil {
		close(f.space)
		f.space = nil
	}
	s := f.ring.remove(pos)
	f.log.release(s.e.Seq)
	return s
}

// dropAt removes the entry at pos without an acknowledgement (expired or
// evicted), logs the removal and queues its report. A failed write is
// only logged: the entry would come back after a restart, and be dropped
// again or sent, which loses nothing.
func (f *File) dropAt(pos uint64, why DropReason) {
	s := f.forget(pos)
	if _, err := f.appendRec(&record{kind: kindAck, seq: s.e.Seq}); err != nil && f.logger != nil {
		f.logger.Warn("queue: cannot log a dropped entry", "seq", s.e.Seq, "err", err)
	}
	f.drop(s, why)
	f.trim()
}
