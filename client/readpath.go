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
// (spares.settle, after each hand-over) instead of one lock a message.

// freeMaxBytes bounds the capacity the pool keeps, besides its count
// bound of Options.InboundBuffer plus two batches (see newInbox): a
// program that reads in bursts (a scheduler that runs it for a while,
// then the reader) releases up to
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

// pool is where released buffers wait for the reader, guarded by mu.
// The reader takes them a batch at a time into its spares, a local of its
// own (readLoop), so its per-message path touches no memory the program's
// Release writes.
type pool struct {
	mu    sync.Mutex
	free  [][]byte
	max   int   // bound on the buffers pooled (free, and the reader's spares)
	maxB  int64 // bound on their capacity in bytes
	n     int   // buffers pooled, as of the reader's last settle
	bytes int64 // their capacity
}

// put pools b, unless the pool is at its bounds or b is the buffer put
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

// get takes a buffer off the free list for Read's direct path, or
// returns nil when there is none, or when the last one put is larger
// than swapSlack: a direct read's message is under 64 KiB, and a buffer
// grown for a large message, handed to the program with a small one
// that the program keeps, would pin its memory there (the reader's swap
// never lends one either). It is left to the reader, which needs it.
func (p *pool) get() []byte {
	p.mu.Lock()
	n := len(p.free)
	if n == 0 || cap(p.free[n-1]) > swapSlack {
		p.mu.Unlock()
		return nil
	}
	b := p.free[n-1]
	p.free[n-1] = nil
	p.free = p.free[:n-1]
	p.n--
	p.bytes -= int64(cap(b))
	p.mu.Unlock()
	return b
}

// spares are the buffers the reader took off the pool, and the count of
// those it has lent out (with their messages) since it last settled with
// the pool. They belong to the reader alone.
type spares struct {
	bufs      [][]byte
	lentN     int
	lentBytes int64
}

// settle accounts to p for the spares lent out since the last settle and
// tops the spares up to a batch's worth (spareMax, within spareMaxBytes)
// from the free list, in one visit.
func (s *spares) settle(p *pool) {
	if s.lentN == 0 && len(s.bufs) > 0 {
		return
	}
	p.mu.Lock()
	p.n -= s.lentN
	p.bytes -= s.lentBytes
	s.lentN, s.lentBytes = 0, 0
	var held int64
	for _, b := range s.bufs {
		held += int64(cap(b))
	}
	for n := len(p.free); n > 0 && len(s.bufs) < spareMax && held < spareMaxBytes; n-- {
		b := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		s.bufs = append(s.bufs, b)
		held += int64(cap(b))
	}
	p.mu.Unlock()
}

// take returns a spare, settling with p first when there is none, or nil
// when the pool is empty.
func (s *spares) take(p *pool) []byte {
	if len(s.bufs) == 0 {
		s.settle(p)
	}
	n := len(s.bufs)
	if n == 0 {
		return nil
	}
	b := s.bufs[n-1]
	s.bufs[n-1] = nil
	s.bufs = s.bufs[:n-1]
	s.lentN++
	s.lentBytes += int64(cap(b))
	return b
}

// giveBack settles and returns the spares not used to p's free list, when
// the reader ends.
func (s *spares) giveBack(p *pool) {
	p.mu.Lock()
	p.n -= s.lentN + len(s.bufs)
	p.bytes -= s.lentBytes
	for _, b := range s.bufs {
		p.bytes -= int64(cap(b))
	}
	p.mu.Unlock()
	for i, b := range s.bufs {
		p.put(b)
		s.bufs[i] = nil
	}
	*s = spares{}
}

// spareMax and spareMaxBytes bound the spares the pusher takes at once:
// a batch's worth (handoffMax), and no more than a few large buffers.
const (
	spareMax      = handoffMax
	spareMaxBytes = 256 << 10
)

// swap returns a buffer, one of the reader's spares, to replace the
// reader's buffer p, which then goes to the program with the message p
// holds. It reports false, leaving p with the reader (whose message is
// then copied out), when the pool is empty, or when p is much larger than
// its message: a buffer grown for a large message is not lent out for a
// small one, whose inbox accounting counts only its length. Only the
// pusher calls it.
func (b *inbox) swap(p []byte, s *spares) ([]byte, bool) {
	if cap(p) > 4*len(p) && cap(p) > swapSlack {
		return nil, false
	}
	next := s.take(&b.pool)
	return next, next != nil
}

// swapSlack is the capacity up to which a reader's buffer is lent out
// whatever the size of its message.
const swapSlack = 64 << 10
