package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallRoundTrip(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)

	type point struct{ X, Y int }
	var got point
	require.NoError(t, c.Call(ctx, "test_echo", []any{point{1, 2}}, &got))
	assert.Equal(t, point{1, 2}, got)

	var raw json.RawMessage
	require.NoError(t, c.Call(ctx, "test_echo", []any{"a\"b"}, &raw))
	assert.JSONEq(t, `"a\"b"`, string(raw))

	require.NoError(t, c.Call(ctx, "test_echo", json.RawMessage(`[null]`), nil))
	require.Error(t, c.Call(ctx, "test_echo", json.RawMessage(`[nul`), nil), "invalid raw params are refused before sending")
}

func TestCallServerError(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	err := c.Call(testCtx(t), "test_fail", nil, nil)
	var rerr *Error
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, -32000, rerr.Code)
	assert.Equal(t, "boom", rerr.Message)
	assert.JSONEq(t, `{"n":1}`, string(rerr.Data))
}

func TestBatchCall(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	var a, b string
	batch := []BatchElem{
		{Method: "test_echo", Params: []any{"a"}, Result: &a},
		{Method: "test_fail"},
		{Method: "no_such"},
		{Method: "test_echo", Params: []any{"b"}, Result: &b},
	}
	require.NoError(t, c.BatchCall(testCtx(t), batch))
	assert.Equal(t, "a", a)
	assert.Equal(t, "b", b)
	assert.NoError(t, batch[0].Error)
	var e1, e2 *Error
	require.ErrorAs(t, batch[1].Error, &e1)
	assert.Equal(t, -32000, e1.Code)
	require.ErrorAs(t, batch[2].Error, &e2)
	assert.Equal(t, -32601, e2.Code)
	assert.Equal(t, 1, f.count("test_fail"), "one batch, one request each")
}

func TestNotify(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	require.NoError(t, c.Notify(ctx, "note_it", []int{7}))
	require.NoError(t, f.WaitReceived(ctx, 1))
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(f.Received()[0].Data, &m))
	_, hasID := m["id"]
	assert.False(t, hasID, "a notification carries no id")
	assert.JSONEq(t, `"note_it"`, string(m["method"]))
	assert.JSONEq(t, `[7]`, string(m["params"]))
}

// A call whose connection ends before the answer fails with
// ErrConnectionLost; it is not sent again.
func TestCallLostWhenNotIdempotent(t *testing.T) {
	f := startFeed(t)
	f.hangOn[1] = true
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	errc := make(chan error, 1)
	go func() { errc <- c.Call(ctx, "test_hang", nil, nil) }()
	require.NoError(t, f.WaitReceived(ctx, 1))
	f.DropAll()
	require.ErrorIs(t, <-errc, ErrConnectionLost)
	waitConnected(t, c)
	require.NoError(t, c.Call(ctx, "test_echo", []int{1}, nil))
	// Counted in what the server received, not in what its handler got
	// to: the drop can come between the two. A resend would have been
	// received before the echo that was answered.
	hangs := 0
	for _, m := range f.Received() {
		var r fakeReq
		if json.Unmarshal(m.Data, &r) == nil && r.Method == "test_hang" {
			hangs++
		}
	}
	assert.Equal(t, 1, hangs, "not resent")
}

// An idempotent call is sent again on the next connection, with a new id,
// and gets that connection's answer.
func TestCallResentWhenIdempotent(t *testing.T) {
	f := startFeed(t)
	f.hangOn[1] = true
	c := dial(t, f, Options{Idempotent: func(m string) bool { return m == "test_hang" }})
	ctx := testCtx(t)
	errc := make(chan error, 1)
	var got string
	go func() { errc <- c.Call(ctx, "test_hang", nil, &got) }()
	require.NoError(t, f.WaitReceived(ctx, 1))
	f.DropAll()
	require.NoError(t, <-errc)
	assert.Equal(t, "late", got)
	msgs := f.Received()
	require.Len(t, msgs, 2)
	assert.Equal(t, 1, msgs[0].Conn)
	assert.Equal(t, 2, msgs[1].Conn)
	assert.NotEqual(t, idOf(t, msgs[0].Data), idOf(t, msgs[1].Data), "a resent call gets a new id")
}

// Calls from many goroutines across repeated drops: each gets its own
// answer or ErrConnectionLost, never another call's, and no id is used
// twice in the session.
func TestCallsNeverCrossAcrossDrops(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	const workers, each = 8, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered, lost := 0, 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				want := w*1000 + i
				var got int
				err := c.Call(ctx, "test_echo", []int{want}, &got)
				mu.Lock()
				switch {
				case err == nil:
					answered++
					assert.Equal(t, want, got)
				case errors.Is(err, ErrConnectionLost):
					lost++
				default:
					t.Errorf("call %d: %v", want, err)
				}
				mu.Unlock()
			}
		}()
	}
	done := make(chan struct{})
	wctx, stop := context.WithCancel(ctx)
	go func() { wg.Wait(); close(done); stop() }()
	for drops := 0; ; drops++ {
		select {
		case <-done:
			t.Logf("%d answered, %d lost, %d drops", answered, lost, drops)
			seen := map[string]bool{}
			for _, m := range f.Received() {
				id := idOf(t, m.Data)
				require.False(t, seen[id], "id %s used twice", id)
				seen[id] = true
			}
			require.Equal(t, workers*each, answered+lost)
			return
		default:
		}
		if f.WaitReceived(wctx, len(f.Received())+5) == nil {
			f.DropAll()
		}
	}
}

func idOf(t *testing.T, msg []byte) string {
	t.Helper()
	var m struct{ ID json.RawMessage }
	require.NoError(t, json.Unmarshal(msg, &m))
	return string(m.ID)
}
