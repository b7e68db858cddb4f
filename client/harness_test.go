package client_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/internal/testctx"
	"github.com/sturdyws/sturdy/queue"
)

// recorder keeps every state change a Client reports, and lets a test wait
// for the sequence to reach a condition.
type recorder struct {
	mu      sync.Mutex
	changes []client.StateChange
	changed chan struct{} // closed and replaced on every change
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

// record is an Options.OnStateChange.
func (r *recorder) record(ch client.StateChange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, ch)
	close(r.changed)
	r.changed = make(chan struct{})
}

// snapshot returns the changes so far.
func (r *recorder) snapshot() []client.StateChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]client.StateChange(nil), r.changes...)
}

// waitFor waits until cond holds for the changes so far, and returns them.
func (r *recorder) waitFor(t *testing.T, ctx context.Context, cond func([]client.StateChange) bool) []client.StateChange {
	t.Helper()
	for {
		r.mu.Lock()
		changes, ch := append([]client.StateChange(nil), r.changes...), r.changed
		r.mu.Unlock()
		if cond(changes) {
			return changes
		}
		select {
		case <-ch:
		case <-ctx.Done():
			require.FailNow(t, "state never reached the expected condition", "changes: %v", changes)
		}
	}
}

// waitState waits for the first change to state s and returns it.
func (r *recorder) waitState(t *testing.T, ctx context.Context, s client.State) client.StateChange {
	t.Helper()
	changes := r.waitFor(t, ctx, func(cs []client.StateChange) bool { return indexOf(cs, s, 1) >= 0 })
	return changes[indexOf(changes, s, 1)]
}

// waitFirst waits for the first change to any of states and returns it.
func (r *recorder) waitFirst(t *testing.T, ctx context.Context, states ...client.State) client.StateChange {
	t.Helper()
	var found client.StateChange
	r.waitFor(t, ctx, func(cs []client.StateChange) bool {
		for _, c := range cs {
			for _, s := range states {
				if c.To == s {
					found = c
					return true
				}
			}
		}
		return false
	})
	return found
}

// waitNth waits for the nth change to state s and returns it.
func (r *recorder) waitNth(t *testing.T, ctx context.Context, s client.State, n int) client.StateChange {
	t.Helper()
	changes := r.waitFor(t, ctx, func(cs []client.StateChange) bool { return indexOf(cs, s, n) >= 0 })
	return changes[indexOf(changes, s, n)]
}

// indexOf returns the index of the nth change to s, or -1.
func indexOf(cs []client.StateChange, s client.State, n int) int {
	for i, c := range cs {
		if c.To == s {
			if n--; n == 0 {
				return i
			}
		}
	}
	return -1
}

// testCtx bounds a test's waits so a bug fails the test instead of hanging
// it: it ends when the test's cleanups run, or a tenth of the way before
// the test binary's -timeout would stop it. No wall-clock bound of its own:
// the 10,000-message delivery test took 66 s beside CPU burners with
// GOMAXPROCS=1, past the 60 s this used to allow.
func testCtx(t *testing.T) context.Context { return testctx.UntilDeadline(t) }

// fastBackoff retries after a fixed, short delay so policy tests run fast.
func fastBackoff() backoff.BackOff { return backoff.NewConstantBackOff(5 * time.Millisecond) }

// start starts a Client whose state changes go to rec and closes it when
// the test ends.
func start(t *testing.T, ctx context.Context, rec *recorder, o client.Options) *client.Client {
	t.Helper()
	if rec != nil {
		o.OnStateChange = rec.record
	}
	c, err := client.Start(ctx, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// queueBytes returns queue options bounded by n bytes.
func queueBytes(n int64) queue.Options { return queue.Options{MaxBytes: n} }
