package queue

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCloseWakesNextWithoutLoss: Next waits on its token and its ctx
// alone, and Close wakes it through the token. Close and Next race here
// in every order (Close before Next locks, between its look and its
// wait, while it waits, after a Push left a token), on a fresh queue each
// time: every Next returns, with ErrClosed or the entry pushed, and
// none hangs on a lost wake-up.
func TestCloseWakesNextWithoutLoss(t *testing.T) {
	for i := range 500 {
		q := NewMemory(Options{})
		var wg sync.WaitGroup
		res := make(chan error, 1)
		wg.Go(func() {
			_, err := q.Next(context.Background())
			if err == nil { // the push won: the next wait meets the Close
				_, err = q.Next(context.Background())
			}
			res <- err
		})
		if i%2 == 1 {
			wg.Go(func() { _, _ = q.Push(context.Background(), Message{Payload: []byte("a")}) })
		}
		require.NoError(t, q.Close())
		require.ErrorIs(t, <-res, ErrClosed, "round %d", i)
		wg.Wait()
	}
}

// TestFileCloseWakesGatedNext: under SyncAlways a Push does not wake the
// consumer (its entry is not yet fsynced), so a Next waiting while that
// fsync is held can only be woken by Close, which must do so at once,
// before the fsync it then waits for completes.
func TestFileCloseWakesGatedNext(t *testing.T) {
	f := openTestFile(t, tmpfsDir(t), FileOptions{Sync: SyncAlways})
	entered, let := holdFsyncs(t, f)
	hook, waiting := signal()
	f.waitHook = hook
	next := make(chan error, 1)
	go func() {
		_, err := f.Next(context.Background())
		next <- err
	}()
	<-waiting
	pushed := make(chan error, 1)
	go func() {
		_, err := f.Push(context.Background(), Message{Type: 2, Payload: []byte("gated")})
		pushed <- err
	}()
	<-entered // queued, its fsync held: the consumer was not woken
	closed := make(chan error, 1)
	go func() { closed <- f.Close() }()
	require.ErrorIs(t, <-next, ErrClosed, "Close woke the waiting Next while the fsync was held")
	let()
	require.NoError(t, <-pushed)
	require.NoError(t, <-closed)
}
