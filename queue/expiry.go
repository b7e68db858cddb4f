package queue

import "time"

// sweep drops the pending entries that have expired, so a full queue makes
// room from messages that could never be sent before it blocks, refuses or
// evicts a live one. Expiry is otherwise lazy: Next drops an expired entry
// when it reaches it. Entries in flight are left alone: the consumer holds
// their payloads; a Rewind makes them pending again.
//
// Called with mu held. It scans only when sweepAt says a deadline may have
// passed, and leaves sweepAt at the earliest deadline still pending, so a
// full queue under steady pressure does not rescan for nothing. drop
// removes the entry at a position and reports it.
func (c *core) sweep(drop func(pos uint64, why DropReason)) {
	if c.sweepAt.IsZero() {
		return
	}
	if now := c.now(); !now.Before(c.sweepAt) {
		c.sweepAt = c.ring.sweepExpired(now, func(p uint64) { drop(p, ReasonExpired) })
	}
}

// sweepExpired calls drop for every pending entry whose deadline has passed
// at now, and returns the earliest deadline still pending (zero: none).
// Memory and File share it.
func (r *ring) sweepExpired(now time.Time, drop func(pos uint64)) time.Time {
	var next time.Time
	for p := r.cursor; p < r.tail; p++ {
		s := r.at(p)
		if !s.live || s.e.Deadline.IsZero() {
			continue
		}
		if s.e.Expired(now) {
			drop(p)
			continue
		}
		if next.IsZero() || s.e.Deadline.Before(next) {
			next = s.e.Deadline
		}
	}
	return next
}
