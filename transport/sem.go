package transport

import (
	"sync/atomic"
	"time"
)

// sem is a lock with one holder that a waiter can abandon (on a context, a
// timer or the connection closing): the read side and the two write locks
// of a Conn. Taking a free one is a single compare-and-swap and letting it
// go an atomic store, so the usual case of one reader and one writer costs
// no channel operation on the per-message path; only waiters park, on a
// one-token channel.
type sem struct {
	held    atomic.Bool
	waiters atomic.Int32
	// wake carries a token: the holder let go while someone waited. It is
	// made by the first waiter, so a lock that is never contended (most
	// of a Conn's, most of the time) costs no channel.
	wake lazyChan
}

func newSem() *sem { return &sem{} }

func (s *sem) tryAcquire() bool { return s.held.CompareAndSwap(false, true) }

// release lets s go and wakes one waiter, if any. The store comes before
// the load of waiters, and a waiter counts itself before it tries again,
// so (atomics being sequentially consistent) either the waiter sees the
// lock free or the releaser sees the waiter: no wake-up is lost.
func (s *sem) release() {
	s.held.Store(false)
	if s.waiters.Load() > 0 {
		select {
		case s.wake.get() <- struct{}{}:
		default:
		}
	}
}

// acquireOr takes s, waiting until it is free, or gives up and returns
// false as soon as a or b is closed or t fires. Nil channels never are.
func (s *sem) acquireOr(a, b <-chan struct{}, t <-chan time.Time) bool {
	s.waiters.Add(1)
	defer s.waiters.Add(-1)
	wake := s.wake.get()
	for {
		if s.tryAcquire() {
			return true
		}
		select {
		case <-wake:
		case <-a:
			return false
		case <-b:
			return false
		case <-t:
			return false
		}
	}
}
