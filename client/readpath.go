package client

import (
	"sync"
	"unsafe"
)

// The inbound path hands each received payload to the program without a
// copy when it can: the reader's buffer, holding the message just read,
// travels through the inbox to Read, and a buffer the program gave back
// with Release takes its place for the next read. Ownership moves with
// it, one owner at a time:
//
//	pool's free list → reader's spares → reader (reading into it)
//	→ reader's batch → inbox (queued) → program (from Read)
//	→ pool's free list (Release)
//
// A buffer the inbox discards (a drop policy) goes back to the free list
// directly, since the program never saw it. A program that never calls
// Release keeps every payload; the reader then reads into its own buffer
// and copies each message out, one allocation a message, as before.
//
// The pool has a lock of its own, not the inbox's: Release on the
// program's goroutine then never waits behind the reader handing over a
// batch, and the reader takes a batch's worth of spares in one visit
// (settle) instead of one lock a message.

// freeMaxBytes bounds the capacity the pool keeps, besides its count
// bound of Options.InboundBuffer plus two batches (see newInbox): a program that reads in bursts
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
func (c *Client) Release(m Inbound) { c.inbox.pool.put(m.Payload) }

// pool is where released buffers wait for the reader. Everything but
// spares and the lent counts is guarded by mu; those belong to the
// pusher (the live connection's reader), one at a time, and sit on a
// cache line of their own: the pusher changes them with every message,
// the program's Release takes mu with every message, and sharing a line
// made each message move it between the two cores twice.
type pool struct {
	mu    sync.Mutex
	free  [][]byte
	max   int   // bound on the buffers pooled (free and spares)
	maxB  int64 // bound on their capacity in bytes
	n     int   // buffers pooled, as of the pusher's last settle
	bytes int64 // their capacity

	_         [cacheLine]byte
	spares    [][]byte // the pusher's, taken off free by settle
	lentN     int      // spares handed out since the last settle
	lentBytes int64
	_         [cacheLine]byte
}

// cacheLine is the padding that keeps fields two goroutines write on
// different cache lines (64 bytes on amd64 and most arm64, 128 on
// Apple's: the larger serves both).
const cacheLine = 128

// put pools p, unless the pool is at its bounds or p is the buffer put
// last: a message released twice in a row by mistake is caught that way
// (a scan of the whole list cost more than the rest of a 64-byte
// message's way), though not one released again later (hence Release's
// rule). Between settles the counts still include the spares lent out
// since, so the bounds then err on the side of pooling less.
func (p *pool) put(b []byte) {
	if cap(b) == 0 {
		return
	}
	p.mu.Lock()
	switch n := len(p.free); {
	case p.n >= p.max || p.bytes+int64(cap(b)) > p.maxB:
	case n > 0 && unsafe.SliceData(p.free[n-1][:1]) == unsafe.SliceData(b[:1]):
		// released twice in a row
	default:
		p.free = append(p.free, b[:0])
		p.n++
		p.bytes += int64(cap(b))
	}
	p.mu.Unlock()
}

// settle, on the pusher, accounts for the spares lent out since the last
// settle and tops the spares up to a batch's worth (spareMax, within
// spareMaxBytes) from the free list, in one visit.
func (p *pool) settle() {
	if p.lentN == 0 && len(p.spares) > 0 {
		return
	}
	p.mu.Lock()
	p.n -= p.lentN
	p.bytes -= p.lentBytes
	p.lentN, p.lentBytes = 0, 0
	var held int64
	for _, s := range p.spares {
		held += int64(cap(s))
	}
	for n := len(p.free); n > 0 && len(p.spares) < spareMax && held < spareMaxBytes; n-- {
		b := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		p.spares = append(p.spares, b)
		held += int64(cap(b))
	}
	p.mu.Unlock()
}

// take returns a spare for the pusher, settling first when it has none,
// or nil when the pool is empty.
func (p *pool) take() []byte {
	if len(p.spares) == 0 {
		p.settle()
	}
	n := len(p.spares)
	if n == 0 {
		return nil
	}
	b := p.spares[n-1]
	p.spares[n-1] = nil
	p.spares = p.spares[:n-1]
	p.lentN++
	p.lentBytes += int64(cap(b))
	return b
}

// spareMax and spareMaxBytes bound the spares the pusher takes at once:
// a batch's worth (handoffMax), and no more than a few large buffers.
const (
	spareMax      = handoffMax
	spareMaxBytes = 256 << 10
)

// swap returns a buffer to replace the reader's buffer p, which then goes
// to the program with the message p holds. It reports false, leaving p
// with the reader (whose message is then copied out), when the pool is
// empty, or when p is much larger than its message: a buffer grown for a
// large message is not lent out for a small one, whose inbox accounting
// counts only its length. Only the pusher calls it.
func (b *inbox) swap(p []byte) ([]byte, bool) {
	if cap(p) > 4*len(p) && cap(p) > swapSlack {
		return nil, false
	}
	next := b.pool.take()
	return next, next != nil
}

// swapSlack is the capacity up to which a reader's buffer is lent out
// whatever the size of its message.
const swapSlack = 64 << 10
