package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/wstest"
)

// feedProgram is what a program on a feed does: it keeps the last event
// number it saw, backfills the gap by a Call when the subscription is
// renewed, and skips what the new subscription repeats. It fails the test
// on any number out of order.
type feedProgram struct {
	t        *testing.T
	c        *Client
	got      []int
	renewals []Resubscribed
	filled   int           // events that came by backfill
	hookHold chan struct{} // when set, the hook waits for it before backfilling
	inHook   chan struct{} // when set, closed when the hook starts
}

func (p *feedProgram) last() int {
	if len(p.got) == 0 {
		return 0
	}
	return p.got[len(p.got)-1]
}

func (p *feedProgram) take(n int) {
	switch {
	case n <= p.last():
		// A repeat of what the backfill fetched: expected at a renewal.
	case n == p.last()+1:
		p.got = append(p.got, n)
	default:
		p.t.Errorf("gap: got %d after %d", n, p.last())
		p.got = append(p.got, n)
	}
}

func (p *feedProgram) onResubscribe(ctx context.Context, r Resubscribed) {
	p.renewals = append(p.renewals, r)
	if p.inHook != nil {
		close(p.inHook)
		p.inHook = nil
	}
	if p.hookHold != nil {
		<-p.hookHold
	}
	var missed []int
	if err := p.c.Call(ctx, "test_since", []int{p.last()}, &missed); err != nil {
		p.t.Errorf("backfill: %v", err)
		return
	}
	p.filled += len(missed)
	for _, n := range missed {
		p.take(n)
	}
}

// until reads events until the program has seen n.
func (p *feedProgram) until(ctx context.Context, s *Subscription, n int) {
	for p.last() < n {
		ev, err := s.Next(ctx)
		require.NoError(p.t, err)
		p.take(number(p.t, ev))
	}
}

func subscribeFeed(t *testing.T, c *Client, p *feedProgram, o SubscribeOptions) *Subscription {
	t.Helper()
	if p != nil {
		o.OnResubscribe = p.onResubscribe
	}
	s, err := c.Subscribe(testCtx(t), "test_subscribe", []string{"numbers"}, o)
	require.NoError(t, err)
	return s
}

func TestSubscriptionEvents(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	p := &feedProgram{t: t, c: c}
	s := subscribeFeed(t, c, p, SubscribeOptions{})
	f.emit(50)
	p.until(testCtx(t), s, 50)
	assert.Empty(t, p.renewals)
	assert.NoError(t, s.Err())
}

// The subscription is renewed on the next connection, the hook sees the
// gap (events emitted while disconnected) and backfills it by a Call, and
// events of the new subscription wait for the hook: the program sees every
// number once, in order.
func TestSubscriptionResumesAndBackfills(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	p := &feedProgram{t: t, c: c, hookHold: make(chan struct{}), inHook: make(chan struct{})}
	inHook := p.inHook
	s := subscribeFeed(t, c, p, SubscribeOptions{})
	f.emit(5)
	p.until(ctx, s, 5)

	f.StallHandshakes() // the server is "down"
	f.DropAll()
	require.NoError(t, f.WaitLive(ctx, 0))
	f.forgetAll()
	f.emit(3) // 6..8 happen while nobody listens
	f.ReleaseHandshakes()
	f.waitSubscribed(ctx, 2)

	// The renewal is in the stream; while the hook holds, new events
	// arrive and must wait behind it.
	f.emit(4) // 9..12
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-inHook
		// The hook runs: prove the new events are routed and waiting.
		require.NoError(t, c.Call(ctx, "test_echo", []int{0}, nil))
		s.mu.Lock()
		waiting := s.events
		s.mu.Unlock()
		assert.Equal(t, 4, waiting, "events of the new subscription wait for the hook")
		close(p.hookHold)
	}()
	f.emit(0)
	p.until(ctx, s, 12)
	wg.Wait()
	f.emit(3)
	p.until(ctx, s, 15)

	require.Len(t, p.renewals, 1)
	r := p.renewals[0]
	assert.Equal(t, 1, r.Renewal)
	assert.NotEqual(t, string(r.ID), string(r.PreviousID))
	assert.Equal(t, 7, p.filled, "6..12 came by backfill (9..12 again from the subscription, skipped)")
	want := make([]int, 15)
	for i := range want {
		want[i] = i + 1
	}
	assert.Equal(t, want, p.got)
}

// Renewals the program has not reached yet fold into one hook run.
func TestSubscriptionRenewalsFold(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	p := &feedProgram{t: t, c: c}
	s := subscribeFeed(t, c, p, SubscribeOptions{})
	for i := range 3 {
		f.DropAll()
		f.waitSubscribed(ctx, i+2)
	}
	// Answered after the last renewal on the same connection: routed now.
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil))
	f.emit(2)
	p.until(ctx, s, 2)
	require.Len(t, p.renewals, 1)
	r := p.renewals[0]
	// A drop can hit between the server's answer and the client reading
	// it, so a renewal may have been made again; the gap is still one.
	assert.GreaterOrEqual(t, r.Renewal, 1)
	assert.Equal(t, `"0x1"`, string(r.PreviousID), "the gap starts at the subscription the program last saw")
	assert.Equal(t, `"0x`+strconv.Itoa(f.count("test_subscribe"))+`"`, string(r.ID))
}

func TestUnsubscribe(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	s := subscribeFeed(t, c, nil, SubscribeOptions{})
	f.emit(2)
	// Answered after the events, so both are routed by now.
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil))
	require.NoError(t, s.Unsubscribe(ctx))
	assert.Equal(t, 0, f.subscribers())
	for want := 1; want <= 2; want++ {
		ev, err := s.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, want, number(t, ev))
	}
	_, err := s.Next(ctx)
	assert.ErrorIs(t, err, ErrUnsubscribed)
	assert.ErrorIs(t, s.Err(), ErrUnsubscribed)

	f.DropAll()
	require.NoError(t, f.WaitAccepted(ctx, 2))
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil))
	assert.Equal(t, 1, f.count("test_subscribe"), "an ended subscription is not renewed")
}

func TestOverflowDropReportsTheGap(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	s := subscribeFeed(t, c, nil, SubscribeOptions{Buffer: 4})
	f.emit(10)
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil), "calls go on while a subscriber is behind")
	for want := 1; want <= 4; want++ {
		ev, err := s.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, want, number(t, ev))
	}
	_, err := s.Next(ctx)
	var de *DroppedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 6, de.Dropped)
	f.emit(1)
	ev, err := s.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, 11, number(t, ev))
}

func TestOverflowBlockLosesNothing(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	s := subscribeFeed(t, c, nil, SubscribeOptions{Buffer: 2, Overflow: OverflowBlock})
	f.emit(200)
	for want := 1; want <= 200; want++ {
		ev, err := s.Next(ctx)
		require.NoError(t, err)
		require.Equal(t, want, number(t, ev))
	}
}

// With OverflowBlock, a full buffer while the hook runs ends the
// subscription instead of waiting (the hook's calls need the reader).
func TestOverflowBlockDuringHookEnds(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	hookErr := make(chan error, 1)
	s := subscribeFeed(t, c, nil, SubscribeOptions{Buffer: 2, Overflow: OverflowBlock,
		OnResubscribe: func(ctx context.Context, r Resubscribed) {
			f.emit(3) // more than the buffer, while the hook runs
			hookErr <- c.Call(ctx, "test_echo", nil, nil)
		}})
	f.DropAll()
	f.waitSubscribed(ctx, 2)
	var err error
	for err == nil {
		_, err = s.Next(ctx)
	}
	assert.ErrorIs(t, err, ErrOverflow)
	assert.NoError(t, <-hookErr, "the hook's call was answered, not deadlocked")
}

// An OnResubscribe that panics leaves through Next, and a program that
// recovers it finds the subscription as before: with OverflowBlock a
// full buffer waits for Next again, as it does outside the hook.
func TestResubscribePanicLeavesTheSubscriptionUsable(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	s := subscribeFeed(t, c, nil, SubscribeOptions{Buffer: 2, Overflow: OverflowBlock,
		OnResubscribe: func(context.Context, Resubscribed) { panic("bad hook") }})
	f.DropAll()
	f.waitSubscribed(ctx, 2)
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil)) // the renewal's marker is in
	require.PanicsWithValue(t, "bad hook", func() { _, _ = s.Next(ctx) })
	f.emit(20)
	for want := 1; want <= 20; want++ {
		ev, err := s.Next(ctx)
		require.NoError(t, err, "the subscription ended after the hook's panic")
		require.Equal(t, want, number(t, ev))
	}
}

// A Subscribe made while disconnected waits for the connection.
func TestSubscribeWhileDisconnected(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	f.StallHandshakes()
	f.DropAll()
	require.NoError(t, f.WaitLive(ctx, 0))
	type res struct {
		s   *Subscription
		err error
	}
	rc := make(chan res, 1)
	go func() {
		s, err := c.Subscribe(ctx, "test_subscribe", []string{"numbers"}, SubscribeOptions{})
		rc <- res{s, err}
	}()
	f.ReleaseHandshakes()
	r := <-rc
	require.NoError(t, r.err)
	f.emit(1)
	ev, err := r.s.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, number(t, ev))
}

func TestCloseEndsEverything(t *testing.T) {
	f := startFeed(t)
	f.hangOn[1] = true
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	s := subscribeFeed(t, c, nil, SubscribeOptions{})
	f.emit(1)
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil))
	errc := make(chan error, 1)
	go func() { errc <- c.Call(ctx, "test_hang", nil, nil) }()
	require.NoError(t, f.WaitReceived(ctx, 3))
	require.NoError(t, c.Close())
	assert.ErrorIs(t, <-errc, ErrClosed)
	ev, err := s.Next(ctx)
	require.NoError(t, err, "buffered events come first")
	assert.Equal(t, 1, number(t, ev))
	_, err = s.Next(ctx)
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, c.Call(ctx, "test_echo", nil, nil), ErrClosed)
	_, err = c.Subscribe(ctx, "test_subscribe", nil, SubscribeOptions{})
	assert.ErrorIs(t, err, ErrClosed)
	assert.NoError(t, c.Close(), "idempotent")
}

// A server that refuses to renew a subscription ends it with its error.
func TestRenewalRefused(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	s := subscribeFeed(t, c, nil, SubscribeOptions{})
	f.Handle("/", wstest.Behavior{Message: func(ctx context.Context, wc *wstest.Conn, m wstest.Message) {
		var r fakeReq
		_ = json.Unmarshal(m.Data, &r)
		_ = wc.Write(ctx, 1, []byte(`{"jsonrpc":"2.0","id":`+string(r.ID)+`,"error":{"code":-32001,"message":"no more"}}`))
	}})
	f.DropAll()
	_, err := s.Next(ctx)
	var rerr *Error
	require.True(t, errors.As(err, &rerr), "got %v", err)
	assert.Equal(t, -32001, rerr.Code)
}
