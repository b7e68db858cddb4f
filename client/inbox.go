package client

import (
	"context"
	"sync"
	"sync/atomic"
)

// inbox holds received messages until Read takes them, oldest first, at
// most max at a time. It is a ring that grows with the backlog, because a
// buffered channel of the same bound is allocated whole up front: 256
// messages of a channel cost an idle Client 10 KiB, twice what the rest of
// its connection holds.
//
// One goroutine pushes at a time (the live connection's reader), a batch
// under one lock (see handoffMax); any number may pop. A side signals the other only when the other has said,
// under the lock, that it is waiting: a stream where the application keeps
// up, or falls behind, costs no channel operation per message. Tokens in
// the two one-slot channels say that the state may have changed, never
// that it has: whoever wakes checks again, so a stale token costs one
// spurious wake and no token is ever needed twice.
type inbox struct {
	mu       sync.Mutex
	buf      []Inbound // len(buf) is a power of two, or zero before the first push
	head     int       // index of the oldest message
	n        int       // messages held
	bytes    int64     // their payload bytes
	max      int
	maxBytes int64
	policy   InboundPolicy
	dropped  uint64 // messages the policy discarded

	// pool holds released payload buffers for the reader (readpath.go),
	// under a lock of its own.
	pool pool

	// direct lets Read take messages off the live connection itself
	// (direct.go); count mirrors n for its look at an empty inbox, which
	// takes no lock.
	direct direct
	count  atomic.Int32

	readers atomic.Int32 // readers waiting in next; changed under mu, read also without it (readLoop)
	pusher  bool         // the pusher found the inbox full and may be waiting
	stalled bool         // the pusher waits for room
	woke    bool         // the pusher's last add woke a waiting reader

	ready chan struct{} // a message may be waiting: wakes a reader
	room  chan struct{} // room may have opened: wakes the pusher

	// waitHook, when a test sets it, runs just before next waits, so
	// tests can wait for that event instead of sleeping.
	waitHook func()
	// stepHook, when a test sets it, runs each time the reader's step
	// back (stepBack) reaches stepBackMax.
	stepHook func()
}

func newInbox(max int, maxBytes int64, policy InboundPolicy) *inbox {
	return &inbox{
		max: max, maxBytes: maxBytes, policy: policy,
		ready: make(chan struct{}, 1), room: make(chan struct{}, 1),
		// The pool holds up to an inbox's worth of buffers and the two
		// batches the reader has in hand (its spares and the messages it
		// is about to hand over): a full inbox that drains returns all of
		// them, and a pool that kept fewer would drop the surplus and
		// have the reader allocate again the next time the inbox fills.
		pool: pool{max: max + 2*handoffMax, maxB: min(freeMaxBytes, maxBytes)},
	}
}

// fits reports whether a payload of size bytes may join what is held. A
// message alone always fits, so one larger than maxBytes (but within the
// read limit) can still be delivered. Called with mu held.
func (b *inbox) fits(size int) bool {
	return b.n == 0 || (b.n < b.max && b.bytes+int64(size) <= b.maxBytes)
}

// tryPush adds m and reports true, or reports false when the inbox is full
// under InboundWait. The drop policies always report true: they make room
// by discarding the oldest messages, or discard m, and count what they
// discarded in dropped.
func (b *inbox) tryPush(m Inbound) (ok bool, dropped int) {
	ms := [1]Inbound{m}
	n, dropped := b.add(ms[:], false)
	return n == 1, dropped
}

// add offers ms, oldest first, under one lock: each as tryPush would, in
// order, so a batch ends as the same messages pushed one by one would.
// It returns how many it took (kept or dropped by the policy), all of
// them unless one does not fit under InboundWait; when wait is set, the
// pusher is then marked as waiting, so the next pop signals it. A
// waiting Read is woken once for the batch.
func (b *inbox) add(ms []Inbound, wait bool) (taken, dropped int) {
	b.mu.Lock()
	for taken < len(ms) {
		ok, d := b.putLocked(ms[taken])
		dropped += d
		if !ok {
			break
		}
		taken++
	}
	if taken < len(ms) {
		b.pusher = b.pusher || wait
		b.stalled = b.stalled || wait
	} else {
		b.pusher, b.stalled = false, false
	}
	wake := b.readers.Load() > 0 && b.n > 0
	b.woke = wake
	b.count.Store(int32(b.n))
	b.mu.Unlock()
	if wake {
		signal(b.ready)
	}
	return taken, dropped
}

// putLocked adds m, making room or discarding m as the policy says, and
// reports false, leaving the inbox as it was, when m does not fit under
// InboundWait. Called with mu held.
func (b *inbox) putLocked(m Inbound) (ok bool, dropped int) {
	if !b.fits(len(m.Payload)) {
		switch b.policy {
		case InboundDropNewest:
			b.dropped++
			b.pool.put(m.Payload) // the program never saw it
			return true, 1
		case InboundDropOldest:
			for !b.fits(len(m.Payload)) {
				b.pool.put(b.buf[b.head].Payload)
				b.discardOldest()
				dropped++
			}
			b.dropped += uint64(dropped)
		default:
			return false, 0
		}
	}
	if b.n == len(b.buf) {
		b.grow()
	}
	b.buf[(b.head+b.n)&(len(b.buf)-1)] = m
	b.n++
	b.bytes += int64(len(m.Payload))
	return true, dropped
}

// discardOldest drops the oldest message. Called with mu held and n > 0.
func (b *inbox) discardOldest() {
	b.bytes -= int64(len(b.buf[b.head].Payload))
	b.buf[b.head] = Inbound{}
	b.head = (b.head + 1) & (len(b.buf) - 1)
	b.n--
}

// push adds m, waiting for room until ctx is done (InboundWait).
func (b *inbox) push(ctx context.Context, m Inbound) error {
	for {
		ms := [1]Inbound{m}
		if n, _ := b.add(ms[:], true); n == 1 {
			return nil
		}
		select {
		case <-b.room:
		case <-ctx.Done():
			b.mu.Lock()
			b.stalled = false
			b.mu.Unlock()
			return context.Cause(ctx)
		}
	}
}

// stats returns the backlog, the count of discarded messages, and whether
// the pusher is waiting for room.
func (b *inbox) stats() (n int, bytes int64, dropped uint64, stalled bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n, b.bytes, b.dropped, b.stalled
}

// discarded counts messages the reader discarded without offering them
// (InboundDiscard).
func (b *inbox) discarded() {
	b.mu.Lock()
	b.dropped++
	b.mu.Unlock()
}

// pop removes and returns the oldest message, or reports false when there
// is none.
func (b *inbox) pop() (Inbound, bool) {
	b.mu.Lock()
	return b.take()
}

// popMore moves up to len(ms) of the messages waiting into ms, oldest
// first, as long as their payloads total at most budget bytes, without
// waiting, and pools the payloads they displace (buffers the program gave
// up: ReadMany). It returns how many it moved.
func (b *inbox) popMore(ms []Inbound, budget int) int {
	b.mu.Lock()
	n := 0
	for n < len(ms) && b.n > 0 {
		size := len(b.buf[b.head].Payload)
		if size > budget {
			break
		}
		budget -= size
		b.pool.put(ms[n].Payload)
		ms[n] = b.buf[b.head] // the payload belongs to the application now
		b.discardOldest()
		n++
	}
	b.poppedUnlock(n > 0)
	return n
}

// take is pop with mu held, which it releases.
func (b *inbox) take() (Inbound, bool) {
	if b.n == 0 {
		b.mu.Unlock()
		return Inbound{}, false
	}
	m := b.buf[b.head] // the payload belongs to the application now
	b.discardOldest()
	b.poppedUnlock(true)
	return m, true
}

// poppedUnlock ends a pop that took messages (took), with mu held, which
// it releases: it updates count, and passes the wakes on, to a pusher
// waiting for the room the pop made and to another reader waiting for
// what is left.
func (b *inbox) poppedUnlock(took bool) {
	b.count.Store(int32(b.n))
	more := b.n > 0 && b.readers.Load() > 0
	room := b.pusher && took
	b.mu.Unlock()
	if room {
		signal(b.room)
	}
	if more {
		signal(b.ready)
	}
}

// next removes and returns the oldest message, waiting for one until ctx
// is done (its error) or closed is closed and nothing is left (false).
func (b *inbox) next(ctx context.Context, closed <-chan struct{}) (Inbound, bool, error) {
	for {
		b.mu.Lock()
		if b.n > 0 {
			m, ok := b.take()
			return m, ok, nil
		}
		// Counted in under the lock that saw the inbox empty, so the next
		// push signals.
		b.readers.Add(1)
		b.mu.Unlock()
		if b.waitHook != nil {
			b.waitHook()
		}
		// The reader may have stepped back from a buffer Read was taking
		// messages from (direct.go): a Read that waits needs it reading.
		signal(b.room)
		select {
		case <-b.ready:
			b.stopWaiting()
		case <-ctx.Done():
			b.stopWaiting()
			return Inbound{}, false, ctx.Err()
		case <-closed:
			b.stopWaiting()
			m, ok := b.pop()
			return m, ok, nil
		}
	}
}

// stopWaiting counts a reader out of the waiting ones.
func (b *inbox) stopWaiting() {
	b.mu.Lock()
	b.readers.Add(-1)
	b.mu.Unlock()
}

// grow doubles the ring, unwrapping it so the oldest message lands at
// index 0. Called with mu held and the ring full but below max, so the
// ring never passes twice max.
func (b *inbox) grow() {
	size := max(4, 2*len(b.buf))
	buf := make([]Inbound, size)
	n := copy(buf, b.buf[b.head:])
	copy(buf[n:], b.buf[:b.head])
	b.buf, b.head = buf, 0
}

// signal leaves a token in a one-slot channel unless one is there already.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
