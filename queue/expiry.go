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
// full queue under steady pressure does not rescan for nothing.
func (m *Memory) sweep() {
	if m.sweepAt.IsZero() {
		return
	}
	now := m.now()
	if now.Before(m.sweepAt) {
		return
	}
	var next time.Time
	for p := m.ring.cursor; p < m.ring.tail; p++ {
		s := m.ring.at(p)
		if !s.live || s.e.Deadline.IsZero() {
			continue
		}
		if s.e.Expired(now) {
			m.drop(m.remove(p), ReasonExpired)
			continue
		}
		if next.IsZero() || s.e.Deadline.Before(next) {
			next = s.e.Deadline
		}
	}
	m.sweepAt = next
}
