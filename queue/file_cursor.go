package queue

import "context"

// Next returns the oldest pending entry and moves the cursor past it,
// waiting for one until ctx is done or the queue is closed, like
// Memory.Next. Expired entries met on the way are dropped and their
// removal logged, never returned.
//
// Next, TryNext and Rewind must be called by one goroutine at a time.
func (f *File) Next(ctx context.Context) (Entry, error) {
	for {
		f.mu.Lock()
		if f.closed {
			f.unlock()
			return Entry{}, ErrClosed
		}
		if e, ok := f.take(); ok {
			f.unlock()
			return e, nil
		}
		f.waiting = true
		f.unlock()
		if f.waitHook != nil {
			f.waitHook()
		}
		select {
		case <-f.ready: // an entry, or Close: the loop looks
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		}
	}
}

// TryNext is Next without waiting: ok is false when no unexpired entry is
// pending or the queue is closed.
//
// Next, TryNext and Rewind must be called by one goroutine at a time.
func (f *File) TryNext() (Entry, bool) {
	f.mu.Lock()
	if f.closed {
		f.unlock()
		return Entry{}, false
	}
	e, ok := f.take()
	f.unlock()
	return e, ok
}

// Rewind moves the cursor back to the oldest entry still held, so that
// Next hands out every unacknowledged entry again, in order. Payloads
// handed out before stay valid only while their entries are held.
//
// Next, TryNext and Rewind must be called by one goroutine at a time.
func (f *File) Rewind() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rewind()
}
