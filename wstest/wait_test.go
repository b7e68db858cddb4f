package wstest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestWaitWakesOnEvents runs a waiter for each kind of event while the
// events happen, and checks that each returns once its event has.
func TestWaitWakesOnEvents(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	ctx := testCtx(t)
	waits := map[string]func() error{
		"handshakes": func() error { return srv.WaitHandshakes(ctx, 2) },
		"accepted":   func() error { return srv.WaitAccepted(ctx, 2) },
		"received":   func() error { return srv.WaitReceived(ctx, 2) },
		"sent":       func() error { return srv.WaitFor(ctx, func(s wstest.Snapshot) bool { return s.Sent >= 2 }) },
		"ended": func() error {
			return srv.WaitFor(ctx, func(s wstest.Snapshot) bool { return s.Accepted() == 2 && s.Live == 0 })
		},
	}
	var wg sync.WaitGroup
	errs := make(map[string]error)
	var mu sync.Mutex
	for name, wait := range waits {
		wg.Go(func() {
			err := wait()
			mu.Lock()
			errs[name] = err
			mu.Unlock()
		})
	}
	for range 2 {
		c := dial(t, srv, "/", nil)
		write(t, c, "x")
		read(t, c)
		require.NoError(t, c.Close(transport.StatusNormalClosure, ""))
	}
	wg.Wait()
	for name := range waits {
		assert.NoError(t, errs[name], name)
	}
	require.NoError(t, srv.WaitLive(ctx, 0))
}

// TestWaitForReturnsAtOnce checks that a condition already true does not
// wait for an event.
func TestWaitForReturnsAtOnce(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // no event can come in time: the first evaluation must do
	assert.NoError(t, srv.WaitLive(ctx, 0))
	assert.NoError(t, srv.WaitHandshakes(ctx, 0))
}

// TestWaitForTimeout checks that a wait that cannot succeed ends with the
// context, and says what the state was.
func TestWaitForTimeout(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err := srv.WaitAccepted(ctx, 1)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "accepted=0")
}

// TestWaitForAfterClose checks that waits end when the server closes,
// whether they began before or after.
func TestWaitForAfterClose(t *testing.T) {
	srv, err := wstest.NewServer(wstest.Options{})
	require.NoError(t, err)
	ctx := testCtx(t)
	done := make(chan error, 1)
	go func() { done <- srv.WaitAccepted(ctx, 1) }()
	c, _, err := transport.Dial(ctx, srv.URL(), nil)
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, <-done)

	go func() { done <- srv.WaitHandshakes(ctx, 5) }()
	srv.Close()
	assert.ErrorIs(t, <-done, wstest.ErrServerClosed)
	assert.ErrorIs(t, srv.WaitHandshakes(ctx, 5), wstest.ErrServerClosed)
	assert.NoError(t, srv.WaitLive(ctx, 0), "a condition true after Close still succeeds")
}
