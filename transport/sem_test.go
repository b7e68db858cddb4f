package transport

import (
	"context"
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
