package queue

import (
	"sync"
	"time"
)

// Memory is a bounded in-memory [Queue]: a ring of entries whose payloads
// live in blocks the queue recycles. Create it with NewMemory.
type Memory struct {
	maxMessages int
	maxBytes    int64
	policy      Policy
	now         func() time.Time

	done  chan struct{} // closed by Close
	ready chan struct{} // one token wakes the consumer waiting in Next

	// waitHook, when set by a test, runs just before Push or Next blocks,
	// so tests can wait for that event instead of sleeping.
	waitHook func()

	mu      sync.Mutex
	ring    ring
	store   storage
	seq     uint64 // the last sequence number given out
	closed  bool
	waiting bool // the consumer is in Next, or was when its ctx ended

	// space is closed when an entry leaves, waking every producer blocked
	// under the Block policy at once; it exists only while one waits, so a
	// queue that never fills never allocates it.
	space chan struct{}

	// sweepAt is no later than the earliest deadline among pending
	// entries (zero: none has one), so a full Push looks for expired
	// entries only when one of them may have expired.
	sweepAt time.Time

	reporter // OnDrop, and the drops waiting for it
}

var _ Queue = (*Memory)(nil)

// NewMemory returns an empty queue configured by opts.
func NewMemory(opts Options) *Memory {
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = DefaultMaxMessages
	}
	// The ring may grow to twice MaxMessages slots; the cap keeps that
	// arithmetic far from overflow.
	opts.MaxMessages = min(opts.MaxMessages, 1<<30)
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Memory{
		maxMessages: opts.MaxMessages,
		maxBytes:    opts.MaxBytes,
		policy:      opts.Overflow,
		now:         opts.Now,
		done:        make(chan struct{}),
		ready:       make(chan struct{}, 1),
		ring:        newRing(opts.MaxMessages),
		store:       storage{budget: opts.MaxBytes},
	}
	m.reporter = reporter{mu: &m.mu, store: &m.store, onDrop: opts.OnDrop}
	return m
}

// remove takes the entry at pos out of the ring and wakes the producers
// waiting for room. Every removal goes through here.
func (m *Memory) remove(pos uint64) slot {
	if m.space != nil {
		close(m.space)
		m.space = nil
	}
	return m.ring.remove(pos)
}

// InFlight reports how many entries Next and TryNext have handed out since
// the last Rewind that are still held (not acknowledged, expired or
// evicted). A writer bounds its unacknowledged window with it. Safe for
// concurrent use.
func (m *Memory) InFlight() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ring.inflight
}

// Len reports the entries held and their payload bytes, in flight or
// pending. Expired entries count until they are dropped. Safe for
// concurrent use.
func (m *Memory) Len() (messages int, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ring.count, m.ring.bytes
}

// Close wakes every Push and Next that is blocked with ErrClosed and makes
// later calls but Len, Close and Drain return ErrClosed. It leaves the
// entries for Drain. Safe for concurrent use; it always returns nil.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		close(m.done)
	}
	return nil
}

// Drain removes every entry held and passes each to fn, oldest first,
// without holding the lock; a payload is valid only during its call. With
// fn nil the entries are reported to OnDrop as ReasonClosed instead. It
// works on an open queue too, which is then empty and usable. Safe for
// concurrent use, but payloads the consumer holds become invalid, so stop
// the consumer first. It always returns nil.
func (m *Memory) Drain(fn func(Entry)) error {
	m.mu.Lock()
	if m.ring.count == 0 {
		m.unlock()
		return nil
	}
	if m.space != nil {
		close(m.space)
		m.space = nil
	}
	m.sweepAt = time.Time{}
	all := m.ring.takeAll()
	if fn == nil {
		for _, s := range all {
			m.drop(s, ReasonClosed)
		}
		m.unlock()
		return nil
	}
	m.unlock()
	for _, s := range all {
		fn(s.e)
	}
	m.mu.Lock()
	for _, s := range all {
		m.store.put(s.buf)
	}
	m.mu.Unlock()
	return nil
}
