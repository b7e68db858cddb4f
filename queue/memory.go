package queue

import (
	"math"
	"time"
)

// Memory is a bounded in-memory [Queue]: a ring of entries whose payloads
// live in blocks the queue recycles. Create it with NewMemory.
type Memory struct {
	core
}

var _ Queue = (*Memory)(nil)

// maxMessagesCap is the most Options.MaxMessages may ask for: a ring limit
// of twice that, rounded up to a power of two, still fits an int.
const maxMessagesCap = min(1<<30, math.MaxInt>>2)

// withDefaults fills in the zero fields of o, for Memory and File alike.
func (o Options) withDefaults() Options {
	if o.MaxMessages <= 0 {
		o.MaxMessages = DefaultMaxMessages
	}
	// The ring may grow to a power of two at least twice MaxMessages
	// slots; the cap keeps that arithmetic from overflowing an int, whose
	// 32 bits on 386, arm and mipsle allow no more than 1<<29 - 1.
	o.MaxMessages = min(o.MaxMessages, maxMessagesCap)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.afterFunc == nil {
		o.afterFunc = realAfterFunc
	}
	return o
}

// NewMemory returns an empty queue configured by opts.
func NewMemory(opts Options) *Memory {
	opts = opts.withDefaults()
	m := &Memory{}
	m.init(opts)
	m.dropFn = m.dropAt
	return m
}

// dropAt removes the entry at pos and reports it. Called with mu held.
func (m *Memory) dropAt(pos uint64, why DropReason) { m.drop(m.remove(pos), why) }

// remove takes the entry at pos out of the ring and wakes the producers
// waiting for room. Every removal goes through here.
func (m *Memory) remove(pos uint64) slot {
	if m.space != nil {
		close(m.space)
		m.space = nil
	}
	return m.ring.remove(pos)
}

// Close wakes every Push and Next that is blocked with ErrClosed and makes
// later calls but Len, Close and Drain return ErrClosed. It leaves the
// entries for Drain. It returns once every drop made before it has been
// reported to OnDrop, so it must not be called from OnDrop. Safe for
// concurrent use; it always returns nil.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		close(m.done)
		m.wakeConsumer()
		m.stopExpiry()
	}
	m.await()
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
	m.reclaim()
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
