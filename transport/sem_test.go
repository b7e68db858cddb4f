package transport

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Many goroutines taking and releasing the lock never hold it together
// and never lose a wake-up (a lost one hangs the test).
func TestSemMutualExclusion(t *testing.T) {
	s := newSem()
	var wg sync.WaitGroup
	inside := 0
	for range 8 {
		wg.Go(func() {
			for range 2000 {
				require.NoError(t, acquire(context.Background(), s))
				inside++
				if inside != 1 {
					t.Errorf("%d holders at once", inside)
				}
				inside--
				release(s)
			}
		})
	}
	wg.Wait()
	assert.True(t, s.tryAcquire(), "free at the end")
}

// A waiter gives up on its context, its timer or a closing channel, and
// leaves the lock usable.
func TestSemAbandon(t *testing.T) {
	s := newSem()
	require.True(t, s.tryAcquire())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, acquire(ctx, s), context.Canceled)

	closed := make(chan struct{})
	close(closed)
	assert.False(t, s.acquireOr(nil, closed, nil))

	timer := time.NewTimer(time.Millisecond)
	defer timer.Stop()
	assert.False(t, s.acquireOr(nil, nil, timer.C))

	got := make(chan struct{})
	go func() {
		if s.acquireOr(nil, nil, nil) {
			close(got)
		}
	}()
	release(s)
	<-got // the waiter was woken and took it
	assert.False(t, s.tryAcquire())
	release(s)
}

// acquireAfterWaiters lets a goroutine already waiting take the lock first,
// and still excludes: a holder that lets go and comes back through it
// never beats a waiter, however many rounds.
func TestSemAcquireAfterWaiters(t *testing.T) {
	s := newSem()
	require.True(t, s.tryAcquire())
	for round := range 200 {
		got := make(chan struct{})
		go func() {
			if s.acquireOr(nil, nil, nil) {
				close(got)
				release(s)
			}
		}()
		for s.waiters.Load() == 0 {
			runtime.Gosched()
		}
		release(s)
		require.True(t, s.acquireAfterWaiters(nil, nil), "round %d", round)
		select {
		case <-got: // the waiter had its turn first, and let go (below) before we took it
		default:
			t.Fatalf("round %d: took the lock back before the waiter", round)
		}
	}
	release(s)
}

// acquireAfterWaiters gives up on its channel or timer while a waiter is
// stuck behind a holder.
func TestSemAcquireAfterWaitersAbandon(t *testing.T) {
	s := newSem()
	require.True(t, s.tryAcquire())
	go func() { _ = s.acquireOr(nil, nil, nil) }()
	for s.waiters.Load() == 0 {
		runtime.Gosched()
	}
	closed := make(chan struct{})
	close(closed)
	assert.False(t, s.acquireAfterWaiters(closed, nil))
	timer := time.NewTimer(time.Millisecond)
	defer timer.Stop()
	assert.False(t, s.acquireAfterWaiters(nil, timer.C))
	release(s) // the waiter takes it
	for s.waiters.Load() != 0 {
		runtime.Gosched()
	}
	release(s)
	assert.True(t, s.tryAcquire())
	release(s)
}
