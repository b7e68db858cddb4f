package queue

import "context"

// Next returns the oldest pending entry and moves the cursor past it,
// waiting for one until ctx is done (returning ctx.Err()) or the queue is
// closed (ErrClosed). Expired entries met on the way are dropped, never
// returned. The entry stays in the queue until acknowledged; its Payload
// stays valid as [Queue] says: until the consumer's next call, and then as
// long as the entry is held.
//
// Next, TryNext and Rewind must be called by one goroutine at a time.
func (m *Memory) Next(ctx context.Context) (Entry, error) {
	for {
		m.mu.Lock()
		if m.closed {
			m.unlock()
			return Entry{}, ErrClosed
		}
		if e, ok := m.take(); ok {
			m.unlock()
			return e, nil
		}
		m.waiting = true
		m.unlock()
		if m.waitHook != nil {
			m.waitHook()
		}
		// A token left by a Push after an earlier Next gave up only causes
		// one more look, never a missed entry.
		select {
		case <-m.ready: // an entry, or Close: the loop looks
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		}
	}
}

// TryNext is Next without waiting. It returns false when no unexpired
// entry is pending or the queue is closed. The writer uses it to gather
// the entries already waiting into one flush.
//
// Next, TryNext and Rewind must be called by one goroutine at a time.
func (m *Memory) TryNext() (Entry, bool) {
	m.mu.Lock()
	if m.closed {
		m.unlock()
		return Entry{}, false
	}
	e, ok := m.take()
	m.unlock()
	return e, ok
}

// Rewind moves the cursor back to the oldest entry still held, so that
// Next hands out every unacknowledged entry again, in order; the supervisor
// calls it after a reconnect. Payloads handed out before stay valid only
// while their entries are held: pending again, the entries may now expire
// or be evicted.
//
// Next, TryNext and Rewind must be called by one goroutine at a time.
func (m *Memory) Rewind() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rewind()
}
