package queue

import "context"

// lockedCopyMax is the largest payload Push copies while holding the lock.
// Larger ones are copied before it is taken, at the price of a second
// locking, so one big message does not stall every other producer and the
// writer for the length of its copy.
const lockedCopyMax = 16 << 10

// Push copies msg into the queue and returns its sequence number. When the
// queue is full it first drops the pending entries that have expired, then
// follows the overflow policy: Block waits for room until ctx is done
// (returning ctx.Err()), Reject returns ErrQueueFull, DropNewest returns
// ErrDropped, DropOldest evicts. A payload larger than MaxBytes gets a
// *TooLargeError whatever the policy, and every Push on a closed queue
// ErrClosed. Safe for concurrent use.
func (m *Memory) Push(ctx context.Context, msg Message) (uint64, error) {
	n := len(msg.Payload)
	if int64(n) > m.maxBytes {
		return 0, &TooLargeError{Size: n, Limit: m.maxBytes}
	}
	// The clock is read before locking: on some machines it is the dearest
	// step of a push, and a message's age runs from the call anyway.
	e := Entry{Type: msg.Type, Enqueued: m.now()}
	if msg.MaxAge > 0 {
		e.Deadline = e.Enqueued.Add(msg.MaxAge)
	}
	var buf []byte
	if n > lockedCopyMax {
		m.mu.Lock()
		buf = m.store.get(n)
		m.mu.Unlock()
		copy(buf, msg.Payload)
	}

	m.mu.Lock()
	if err := m.makeRoom(ctx, e, msg.Payload, buf); err != nil {
		m.unlock()
		return 0, err
	}
	if buf == nil && n > 0 {
		buf = m.store.get(n)
		copy(buf, msg.Payload)
	}
	m.seq++
	e.Seq, e.Payload = m.seq, buf[:n:n]
	if msg.Stamp != nil {
		msg.Stamp(e.Seq, e.Payload)
	}
	m.watch(e.Deadline)
	m.ring.push(e, buf)
	m.wakeConsumer()
	m.unlock()
	return e.Seq, nil
}

// makeRoom returns nil once a payload of that size fits, or the error Push
// returns, having disposed of buf. Called with mu held; returns with it
// held.
func (m *Memory) makeRoom(ctx context.Context, e Entry, payload, buf []byte) error {
	n := len(payload)
	for !m.closed {
		if m.fits(n) {
			return nil
		}
		m.sweep()
		if m.fits(n) {
			return nil
		}
		switch m.policy {
		case Reject:
			m.store.put(buf)
			return ErrQueueFull
		case DropNewest:
			m.discard(e, payload, buf)
			return ErrDropped
		case DropOldest:
			if m.evict(n, m.dropAt) {
				return nil
			}
			m.discard(e, payload, buf)
			return ErrDropped
		default:
			if err := m.wait(ctx); err != nil {
				m.store.put(buf)
				return err
			}
		}
	}
	m.store.put(buf)
	return ErrClosed
}

// discard reports a new message that did not fit. It is copied even though
// it never entered the queue, because the report may be delivered by
// another goroutine after Push has returned and the caller has reused its
// buffer.
func (m *Memory) discard(e Entry, payload, buf []byte) {
	if m.onDrop == nil {
		m.store.put(buf)
		return
	}
	if buf == nil && len(payload) > 0 {
		buf = m.store.get(len(payload))
		copy(buf, payload)
	}
	e.Payload = buf[:len(payload):len(payload)]
	m.drop(slot{e: e, buf: buf}, ReasonOverflowNewest)
}
