package queue

import "context"

// Push writes msg to the log and queues it, returning its sequence
// number, once the message is as durable as the sync policy promises:
// fsynced under SyncAlways, handed to the operating system otherwise.
// Limits, overflow policy and errors are those of Memory.Push; a failed
// write returns the error and queues nothing.
//
// Under SyncAlways a failed fsync returns the error after the message was
// queued in memory: it will be sent, but may not survive a crash, and
// every later Push fails, since what the disk holds is no longer known.
// Safe for concurrent use.
func (f *File) Push(ctx context.Context, msg Message) (uint64, error) {
	n := len(msg.Payload)
	if int64(n) > f.maxBytes {
		return 0, &TooLargeError{Size: n, Limit: f.maxBytes}
	}
	e := Entry{Type: msg.Type, Enqueued: f.now()}
	if msg.MaxAge > 0 {
		e.Deadline = e.Enqueued.Add(msg.MaxAge)
	}

	f.mu.Lock()
	if err := f.makeRoom(ctx, e, msg.Payload); err != nil {
		f.unlock()
		return 0, err
	}
	if f.seq >= f.meta.m.reserved {
		// Numbers are reserved in META before they are given out, so a
		// crash that loses the log's tail cannot make them repeat.
		if err := f.storeMeta(f.seq+seqBlock, f.meta.m.oldest); err != nil {
			f.unlock()
			return 0, err
		}
	}
	buf := f.store.get(n)
	copy(buf, msg.Payload)
	e.Seq, e.Payload = f.seq+1, buf[:n:n]
	if msg.Stamp != nil {
		// Before the record: the log must hold the stamped bytes.
		msg.Stamp(e.Seq, e.Payload)
	}
	// The record goes to the log before the entry joins the queue, under
	// the same lock, so the log holds pushes in sequence order and the
	// writer can never send a message the log does not have.
	rec := pushRecord(&e)
	pos, err := f.appendRec(&rec)
	if err != nil {
		f.store.put(buf)
		f.unlock()
		return 0, err
	}
	f.seq++
	f.watch(e.Deadline)
	f.ring.push(e, buf)
	f.ring.at(f.ring.tail - 1).pos = pos
	if !f.gated {
		f.wakeConsumer()
	}
	f.unlock()
	if f.syncPolicy == SyncAlways {
		if err := f.sync.to(f, pos); err != nil {
			return 0, err
		}
	}
	return e.Seq, nil
}

// makeRoom returns nil once a payload of that size fits, or the error
// Push returns. Called with mu held; returns with it held.
func (f *File) makeRoom(ctx context.Context, e Entry, payload []byte) error {
	n := len(payload)
	for !f.closed {
		if f.fits(n) {
			return nil
		}
		f.sweep()
		if f.fits(n) {
			return nil
		}
		switch f.policy {
		case Reject:
			return ErrQueueFull
		case DropNewest:
			f.discard(e, payload)
			return ErrDropped
		case DropOldest:
			if f.evict(n, f.dropAt) {
				return nil
			}
			f.discard(e, payload)
			return ErrDropped
		default:
			if err := f.wait(ctx); err != nil {
				return err
			}
		}
	}
	return ErrClosed
}

// discard reports a new message that did not fit. It never reached the
// log. Its payload is copied because the report may be made after Push
// has returned and the caller has reused its buffer.
func (f *File) discard(e Entry, payload []byte) {
	if f.onDrop == nil {
		return
	}
	buf := f.store.get(len(payload))
	copy(buf, payload)
	e.Payload = buf[:len(payload):len(payload)]
	f.drop(slot{e: e, buf: buf}, ReasonOverflowNewest)
}
