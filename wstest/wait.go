package wstest

import (
	"context"
	"fmt"
)

// WaitFor blocks until cond holds for the server's state, and returns nil.
// cond is evaluated at once and again after every event (a handshake
// attempt or its answer, a connection opening, stalling or ending, a
// message received or sent), never on a timer, so a test waits exactly as
// long as it must. It returns an error wrapping ctx.Err(), with the last
// state, when ctx ends first, and ErrServerClosed when the server has
// closed and cond still does not hold.
//
// cond runs with no lock held, on the caller's goroutine; the Snapshot it
// gets is read-only. Safe for concurrent use.
func (s *Server) WaitFor(ctx context.Context, cond func(Snapshot) bool) error {
	for {
		s.mu.Lock()
		snap := s.snapshotLocked()
		changed := s.changed
		s.mu.Unlock()
		if cond(snap) {
			return nil
		}
		select {
		case <-s.done:
			// Close has finished: nothing will change any more.
			final := s.Snapshot()
			if cond(final) {
				return nil
			}
			return fmt.Errorf("%w (%s)", ErrServerClosed, final)
		default:
		}
		select {
		case <-changed:
		case <-s.done:
		case <-ctx.Done():
			return fmt.Errorf("wstest: wait: %w (%s)", ctx.Err(), snap)
		}
	}
}

// WaitHandshakes waits until at least n handshake attempts have arrived.
func (s *Server) WaitHandshakes(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func(st Snapshot) bool { return st.Attempts() >= n })
}

// WaitAccepted waits until at least n connections have been accepted.
func (s *Server) WaitAccepted(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func(st Snapshot) bool { return st.Accepted() >= n })
}

// WaitLive waits until exactly n connections are live; WaitLive(ctx, 0)
// waits until every connection has ended and its goroutines are gone.
func (s *Server) WaitLive(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func(st Snapshot) bool { return st.Live == n })
}

// WaitReceived waits until at least n messages have been received, over
// all connections.
func (s *Server) WaitReceived(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func(st Snapshot) bool { return st.Received() >= n })
}
