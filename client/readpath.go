package client

import "unsafe"

// The inbound path hands each received payload to the program without a
// copy when it can: the reader's buffer, holding the message just read,
// travels through the inbox to Read, and a buffer the program gave back
// with Release takes its place for the next read. Ownership moves with
// it, one owner at a time:
//
//	free list (inbox) → reader (reading into it) → inbox (queued)
//	→ program (from Read) → free list (Release)
//
// A buffer the inbox discards (a drop policy) goes back to the free list
// directly, since the program never saw it. A program that never calls
// Release keeps every payload; the reader then reads into its own buffer
// and copies each message out, one allocation a message, as before.

// freeMaxBytes bounds the capacity the free list keeps, besides its
// count bound of Options.InboundBuffer: a program that reads in bursts
// (a scheduler that runs it for a while, then the reader) releases up to
// a full inbox at once, and the reader then needs as many buffers. A
// burst of large messages leaves at most this much pinned after it.
const freeMaxBytes = 8 << 20

// Release gives m's payload back to the Client, which reads a later
// message into it instead of allocating: a program that releases every
// message it has finished with receives without allocating. After
// Release the program must not touch m.Payload (nor anything sliced from
// it), and it must release a message at most once; the next message read
// may be written into the same memory. Releasing is optional: a payload
// never released simply belongs to the program. Safe for concurrent use.
func (c *Client) Release(m Inbound) { c.inbox.recycle(m.Payload) }

// recycle puts p on the free list, unless the list is at its bounds or p
// is the buffer released last: a message released twice in a row by
// mistake is caught that way (a scan of the whole list cost more than the
// rest of a 64-byte message's way), though not one released again later
// (hence Release's rule).
func (b *inbox) recycle(p []byte) {
	if cap(p) == 0 {
		return
	}
	b.mu.Lock()
	b.recycleLocked(p)
	b.mu.Unlock()
}

// recycleLocked is recycle with mu held.
func (b *inbox) recycleLocked(p []byte) {
	if cap(p) == 0 || len(b.free) >= b.max || b.freeBytes+int64(cap(p)) > min(freeMaxBytes, b.maxBytes) {
		return
	}
	if n := len(b.free); n > 0 && unsafe.SliceData(b.free[n-1][:1]) == unsafe.SliceData(p[:1]) {
		return // released twice in a row
	}
	b.free = append(b.free, p[:0])
	b.freeBytes += int64(cap(p))
}

// swap returns a buffer to replace the reader's buffer p, which then goes
// to the program with the message p holds: the spare the last push set
// aside, or one off the free list. It reports false, leaving p with the
// reader (whose message is then copied out), when there is none, or when
// p is much larger than its message: a buffer grown for a large message
// is not lent out for a small one, whose inbox accounting counts only its
// length. Only the pusher calls it.
func (b *inbox) swap(p []byte) ([]byte, bool) {
	if cap(p) > 4*len(p) && cap(p) > swapSlack {
		return nil, false
	}
	if next := b.spare; next != nil {
		b.spare = nil
		return next, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	next := b.spareLocked()
	return next, next != nil
}

// spareLocked takes a buffer off the free list, or returns nil. Called
// with mu held.
func (b *inbox) spareLocked() []byte {
	n := len(b.free)
	if n == 0 {
		return nil
	}
	p := b.free[n-1]
	b.free[n-1] = nil
	b.free = b.free[:n-1]
	b.freeBytes -= int64(cap(p))
	return p
}

// swapSlack is the capacity up to which a reader's buffer is lent out
// whatever the size of its message.
const swapSlack = 64 << 10
