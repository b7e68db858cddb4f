package rpc

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// A call whose context is already done returns its error and sends
// nothing: the server never runs a method whose caller was told it failed.
func TestCancelledCallSendsNothing(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	done, cancel := context.WithCancel(context.Background())
	cancel()
	ops := map[string]func() error{
		"Call":      func() error { return c.Call(done, "test_echo", []int{1}, nil) },
		"BatchCall": func() error { return c.BatchCall(done, []BatchElem{{Method: "test_echo"}}) },
		"Notify":    func() error { return c.Notify(done, "note_it", nil) },
		"Subscribe": func() error {
			_, err := c.Subscribe(done, "test_subscribe", []string{"numbers"}, SubscribeOptions{})
			return err
		},
	}
	for name, op := range ops {
		assert.ErrorIs(t, op(), context.Canceled, name)
	}
	ctx := testCtx(t)
	require.NoError(t, c.Call(ctx, "test_echo", []int{2}, nil))
	msgs := f.Received()
	for _, m := range msgs[:len(msgs)-1] {
		t.Errorf("sent with a done context: %s", m.Data)
	}
}

// A Subscribe whose context ends after its request went out, before the
// answer, leaves no subscription on the server: the late answer's id is
// unsubscribed.
func TestCancelledSubscribeEndsOnServer(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	f.mu.Lock() // the server's handler waits: no answer yet
	sctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(sctx, "test_subscribe", []string{"numbers"}, SubscribeOptions{})
		errc <- err
	}()
	if err := f.WaitReceived(ctx, 1); err != nil {
		f.mu.Unlock()
		t.Fatal(err)
	}
	cancel()
	err := <-errc
	f.mu.Unlock()
	require.ErrorIs(t, err, context.Canceled)

	// Without an unsubscribe this waits in vain; bounded so it fails.
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	gotUnsub := f.WaitFor(wctx, func(wstest.Snapshot) bool { return unsubscribed(f) })
	require.NoError(t, gotUnsub, "the late subscription was never ended on the server")
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil)) // after the unsubscribe's handler
	assert.Equal(t, 0, f.subscribers())
}

// unsubscribed reports whether the server received a test_unsubscribe.
func unsubscribed(f *feedServer) bool {
	for _, m := range f.Received() {
		var r fakeReq
		if json.Unmarshal(m.Data, &r) == nil && r.Method == "test_unsubscribe" {
			return true
		}
	}
	return false
}

// An Unsubscribe whose context is already done changes nothing: the
// subscription runs on, here and on the server, and can be ended later.
func TestCancelledUnsubscribeChangesNothing(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	s := subscribeFeed(t, c, nil, SubscribeOptions{})
	done, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, s.Unsubscribe(done), context.Canceled)
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil))
	assert.NoError(t, s.Err())
	assert.Equal(t, 1, f.subscribers())
	require.NoError(t, s.Unsubscribe(ctx))
	assert.Equal(t, 0, f.subscribers())
}

// A Next whose context is already done at a renewal returns its error and
// leaves the renewal for the next Next, whose OnResubscribe can backfill:
// it does not run the hook with a context that cannot make a call.
func TestCancelledNextKeepsTheRenewal(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	var hookErrs []error
	s := subscribeFeed(t, c, nil, SubscribeOptions{OnResubscribe: func(ctx context.Context, _ Resubscribed) {
		hookErrs = append(hookErrs, ctx.Err())
	}})
	f.DropAll()
	f.waitSubscribed(ctx, 2)
	// On the new connection: the renewal's marker is in the stream.
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil))
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.Next(done)
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, hookErrs, "the hook ran with a done context")

	f.emit(1)
	_, err = s.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, []error{nil}, hookErrs)
}

// A request the connection refuses to send (raw params that are not
// UTF-8) fails its call at once, and leaves no call waiting for an answer
// that cannot come.
func TestUnsendableCallFails(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx, cancel := context.WithTimeout(testCtx(t), 10*time.Second)
	defer cancel()
	bad := json.RawMessage("[\"\xff\"]")
	require.ErrorIs(t, c.Call(ctx, "test_echo", bad, nil), transport.ErrInvalidUTF8)
	require.ErrorIs(t, c.BatchCall(ctx, []BatchElem{{Method: "test_echo", Params: bad}}), transport.ErrInvalidUTF8)
	_, err := c.Subscribe(ctx, "test_subscribe", bad, SubscribeOptions{})
	require.ErrorIs(t, err, transport.ErrInvalidUTF8)
	c.mu.Lock()
	pending := len(c.pending)
	c.mu.Unlock()
	assert.Zero(t, pending)
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil))
}
