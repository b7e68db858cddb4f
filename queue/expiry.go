package queue

import "time"

// expiryGrain is the shortest gap between two firings of the expiry timer
// while entries keep expiring: a burst of messages whose deadlines lie
// microseconds apart is dropped in a few sweeps, not one timer firing
// (and one scan of the pending entries) each. An expired entry is reported
// at most this long after its deadline.
const expiryGrain = 10 * time.Millisecond

// timer is the part of *time.Timer the expiry timer uses, so that tests
// can drive it from a fake clock.
type timer interface {
	Reset(d time.Duration) bool
	Stop() bool
}

func realAfterFunc(d time.Duration, f func()) timer { return time.AfterFunc(d, f) }

// Expiry is timely: a pending entry whose deadline passes is dropped and
// reported by the queue's own timer, about when it passes, even when no
// one calls the queue (the client is disconnected, say), and its room is
// freed then, so a blocked Push proceeds. The timer (time.AfterFunc, so no
// goroutine while it waits) is armed at the earliest pending deadline,
// re-armed after each firing for the next one, and stopped by Close.
// Entries in flight are left alone: the consumer holds their payloads; a
// Rewind makes them pending again, and the timer is re-armed for them.

// watch notes the deadline of an entry that is, or becomes, pending: it
// keeps sweepAt no later than the earliest pending deadline and the timer
// armed no later than that. Called with mu held.
func (c *core) watch(deadline time.Time) {
	if deadline.IsZero() {
		return
	}
	if c.sweepAt.IsZero() || deadline.Before(c.sweepAt) {
		c.sweepAt = deadline
	}
	c.arm(deadline)
}

// arm makes the timer fire at at, unless it will fire sooner already.
// Called with mu held.
func (c *core) arm(at time.Time) {
	if c.closed || (!c.expiryAt.IsZero() && !at.Before(c.expiryAt)) {
		return
	}
	c.expiryAt = at
	// The clock is read only when the timer moves earlier, which pushes
	// with one MaxAge do once, not per message.
	d := at.Sub(c.now())
	if c.expiry == nil {
		c.expiry = c.afterFunc(d, c.expire)
		return
	}
	c.expiry.Reset(d)
}

// expire is the timer's function: it drops what has expired and re-arms
// for the next deadline. A firing that Close overtook finds the queue
// closed and does nothing.
func (c *core) expire() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.expiryAt = time.Time{}
	c.sweep()
	if !c.sweepAt.IsZero() {
		c.arm(later(c.sweepAt, c.now().Add(expiryGrain)))
	}
	c.unlock()
}

// stopExpiry stops the timer for good. Called by Close with mu held, after
// closed is set, so no firing re-arms it.
func (c *core) stopExpiry() {
	if c.expiry != nil {
		c.expiry.Stop()
	}
	c.expiryAt = time.Time{}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// sweep drops the pending entries that have expired. The timer calls it,
// and so does a full Push before it blocks, refuses or evicts a live
// entry, in case the timer is late. Entries in flight are left alone.
//
// Called with mu held. It scans only when sweepAt says a deadline may have
// passed, and leaves sweepAt at the earliest deadline still pending, so a
// full queue under steady pressure does not rescan for nothing.
func (c *core) sweep() {
	if c.sweepAt.IsZero() {
		return
	}
	if now := c.now(); !now.Before(c.sweepAt) {
		c.sweepAt = c.ring.sweepExpired(now, c.dropFn)
	}
}

// expiredReason is why an expired entry is dropped: an entry handed out
// at least once (then rewound, or marked in doubt by an earlier run) may
// have reached the peer, so it was not "never sent".
func (s *slot) expiredReason() DropReason {
	if s.sent {
		return ReasonExpiredUnacked
	}
	return ReasonExpired
}

// sweepExpired calls drop for every pending entry whose deadline has passed
// at now, and returns the earliest deadline still pending (zero: none).
func (r *ring) sweepExpired(now time.Time, drop func(pos uint64, why DropReason)) time.Time {
	var next time.Time
	for p := r.cursor; p < r.tail; p++ {
		s := r.at(p)
		if !s.live || s.e.Deadline.IsZero() {
			continue
		}
		if s.e.Expired(now) {
			drop(p, s.expiredReason())
			continue
		}
		if next.IsZero() || s.e.Deadline.Before(next) {
			next = s.e.Deadline
		}
	}
	return next
}
