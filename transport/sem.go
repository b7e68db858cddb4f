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
	// yielders counts goroutines in acquireAfterWaiters, and left carries
	// a token to them when the last waiter leaves (with the lock, or
	// giving up).
	yielders atomic.Int32
	left     lazyChan
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
	defer s.leave()
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

// leave uncounts a waiter and, if it was the last and a yielder waits for
// that, tells it. The decrement comes before the load of yielders, and a
// yielder counts itself before it loads waiters, so one of the two sees
// the other: the yielder cannot miss the last waiter leaving.
func (s *sem) leave() {
	if s.waiters.Add(-1) == 0 && s.yielders.Load() > 0 {
		select {
		case s.left.get() <- struct{}{}:
		default:
		}
	}
}

// acquireAfterWaiters takes s like acquireOr, but only once every goroutine
// already waiting for it has had its turn (or given up): a holder that let
// go and comes straight back does not beat the waiters to it. It gives up
// and returns false as soon as a is closed or t fires.
func (s *sem) acquireAfterWaiters(a <-chan struct{}, t <-chan time.Time) bool {
	s.yielders.Add(1)
	left := s.left.get()
	for s.waiters.Load() > 0 {
		select {
		case <-left: // a token may be stale: look again
		case <-a:
			s.yielders.Add(-1)
			return false
		case <-t:
			s.yielders.Add(-1)
			return false
		}
	}
	s.yielders.Add(-1)
	return s.tryAcquire() || s.acquireOr(a, nil, t)
}
