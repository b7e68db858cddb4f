package client_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// deadLetters collects what a Client reports through OnDeadLetter.
type deadLetters struct {
	mu  sync.Mutex
	got []client.DeadLetter
}

func (d *deadLetters) add(l client.DeadLetter) { d.mu.Lock(); d.got = append(d.got, l); d.mu.Unlock() }

func (d *deadLetters) list() []client.DeadLetter {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]client.DeadLetter(nil), d.got...)
}

// fakeNow is a clock the test moves by hand.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time      { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) add(d time.Duration) { f.mu.Lock(); f.t = f.t.Add(d); f.mu.Unlock() }

// TestExpiredMessageNeverSent: a message that outlived its max age while
// the client could not connect is reported as expired and never written;
// the messages around it still go, in order.
func TestExpiredMessageNeverSent(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	srv.StallHandshakes()
	clock := &fakeNow{t: time.Now()}
	dl := &deadLetters{}
	c := start(t, ctx, nil, client.Options{
		URL: srv.URL(), Backoff: fastBackoff(), OnDeadLetter: dl.add,
		QueueOptions: queue.Options{Now: clock.now},
	})
	_, err := c.Send(ctx, transport.MessageText, []byte("before"))
	require.NoError(t, err)
	seq, err := c.SendMessage(ctx, client.Message{Type: transport.MessageText, Payload: []byte("order"), MaxAge: time.Second})
	require.NoError(t, err)
	_, err = c.Send(ctx, transport.MessageText, []byte("after"))
	require.NoError(t, err)
	clock.add(2 * time.Second) // the order is stale before any connection exists
	srv.ReleaseHandshakes()
	require.NoError(t, c.Flush(ctx))
	require.NoError(t, srv.WaitReceived(ctx, 2))
	require.NoError(t, c.Close())

	assert.Equal(t, []string{"before", "after"}, payloads(srv.Received()))
	letters := dl.list()
	require.Len(t, letters, 1)
	assert.Equal(t, seq, letters[0].Seq)
	assert.Equal(t, client.ReasonExpired, letters[0].Reason)
	assert.Equal(t, "order", string(letters[0].Payload))
	assert.Equal(t, uint64(1), c.Stats().Expired)
}

// TestOverflowPolicies: a full queue follows its policy, and every message
// it turns away is either refused to the caller or reported.
func TestOverflowPolicies(t *testing.T) {
	t.Run("DropOldest reports the evicted message", func(t *testing.T) {
		ctx := testCtx(t)
		srv := wstest.Start(t, wstest.Options{})
		srv.StallHandshakes()
		dl := &deadLetters{}
		c := start(t, ctx, nil, client.Options{
			URL: srv.URL(), OnDeadLetter: dl.add,
			QueueOptions: queue.Options{MaxMessages: 2, Overflow: queue.DropOldest},
		})
		for _, p := range []string{"a", "b", "c"} {
			_, err := c.Send(ctx, transport.MessageText, []byte(p))
			require.NoError(t, err)
		}
		require.Eventually(t, func() bool { return len(dl.list()) == 1 }, 10*time.Second, time.Millisecond)
		assert.Equal(t, "a", string(dl.list()[0].Payload))
		assert.Equal(t, client.ReasonOverflow, dl.list()[0].Reason)
		srv.ReleaseHandshakes()
		require.NoError(t, c.Flush(ctx))
		require.NoError(t, srv.WaitReceived(ctx, 2))
		assert.Equal(t, []string{"b", "c"}, payloads(srv.Received()))
	})
	t.Run("Reject refuses the new message", func(t *testing.T) {
		ctx := testCtx(t)
		srv := wstest.Start(t, wstest.Options{})
		srv.StallHandshakes()
		c := start(t, ctx, nil, client.Options{
			URL: srv.URL(), QueueOptions: queue.Options{MaxMessages: 2, Overflow: queue.Reject},
		})
		for _, p := range []string{"a", "b"} {
			_, err := c.Send(ctx, transport.MessageText, []byte(p))
			require.NoError(t, err)
		}
		_, err := c.Send(ctx, transport.MessageText, []byte("c"))
		require.ErrorIs(t, err, queue.ErrQueueFull)
		srv.ReleaseHandshakes()
		require.NoError(t, c.Flush(ctx))
		require.NoError(t, srv.WaitReceived(ctx, 2))
		assert.Equal(t, []string{"a", "b"}, payloads(srv.Received()))
	})
}

// TestCloseReportsWhatIsLeft: messages still queued at Close go to
// OnDeadLetter as ReasonClosed; with no OnDeadLetter, Close says so.
func TestCloseReportsWhatIsLeft(t *testing.T) {
	t.Run("to OnDeadLetter", func(t *testing.T) {
		ctx := testCtx(t)
		srv := wstest.Start(t, wstest.Options{})
		srv.StallHandshakes()
		dl := &deadLetters{}
		c := start(t, ctx, nil, client.Options{URL: srv.URL(), OnDeadLetter: dl.add})
		for _, p := range []string{"a", "b"} {
			_, err := c.Send(ctx, transport.MessageText, []byte(p))
			require.NoError(t, err)
		}
		require.NoError(t, c.Close())
		letters := dl.list() // Close returns after every callback ran
		require.Len(t, letters, 2)
		for i, p := range []string{"a", "b"} {
			assert.Equal(t, p, string(letters[i].Payload))
			assert.Equal(t, client.ReasonClosed, letters[i].Reason)
		}
	})
	t.Run("as ErrUndelivered", func(t *testing.T) {
		ctx := testCtx(t)
		srv := wstest.Start(t, wstest.Options{})
		srv.StallHandshakes()
		c := start(t, ctx, nil, client.Options{URL: srv.URL()})
		_, err := c.Send(ctx, transport.MessageText, []byte("a"))
		require.NoError(t, err)
		require.ErrorIs(t, c.Close(), client.ErrUndelivered)
	})
}

// TestCloseWithHalfOpenPeerReportsUnconfirmed: AtMostOnce trusts a closing
// handshake only when it completes; a peer that never answers leaves the
// message written before Close unconfirmed, and it is reported.
func TestCloseWithHalfOpenPeerReportsUnconfirmed(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	dl := &deadLetters{}
	c := start(t, ctx, nil, client.Options{
		URL: srv.URL(), DisableHeartbeat: true, OnDeadLetter: dl.add,
		Dial: transport.DialOptions{CloseTimeout: 100 * time.Millisecond},
	})
	require.NoError(t, c.WaitConnected(ctx))
	require.NoError(t, srv.Stall(1))
	_, err := c.Send(ctx, transport.MessageText, []byte("into the void"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return c.Stats().Sent == 1 }, 10*time.Second, time.Millisecond)
	require.NoError(t, c.Close())
	letters := dl.list()
	require.Len(t, letters, 1)
	assert.Equal(t, client.ReasonUnconfirmed, letters[0].Reason)
	assert.Empty(t, srv.Received())
}

// TestCloseWhileStreaming: Close completes its handshake promptly while
// the server is streaming and the application has stopped reading.
func TestCloseWhileStreaming(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Stream(wstest.StreamOptions{})})
	const closeTimeout = 30 * time.Second
	c := start(t, ctx, nil, client.Options{
		URL: srv.URL(), InboundBuffer: 4,
		Dial: transport.DialOptions{CloseTimeout: closeTimeout},
	})
	for range 10 {
		_, err := c.Read(ctx)
		require.NoError(t, err)
	}
	began := time.Now()
	require.NoError(t, c.Close())
	assert.Less(t, time.Since(began), closeTimeout, "Close waited out the close timeout")
	require.NoError(t, srv.WaitFor(ctx, func(s wstest.Snapshot) bool { return s.Live == 0 }))
	assert.Equal(t, transport.StatusNormalClosure, transport.CloseStatus(srv.Snapshot().Conns[0].Err))
}

// TestGivenQueueDropsReachOnDeadLetter: a queue the Client did not build
// (here a queue.Memory with its own OnDrop, as a queue.File would be) still
// reports its overflow to OnDeadLetter and Stats, after its own callback,
// which keeps working.
func TestGivenQueueDropsReachOnDeadLetter(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	srv.StallHandshakes() // offline: everything stays queued
	var mu sync.Mutex
	var own []uint64
	q := queue.NewMemory(queue.Options{MaxMessages: 2, Overflow: queue.DropOldest,
		OnDrop: func(e queue.Entry, why queue.DropReason) {
			mu.Lock()
			own = append(own, e.Seq)
			mu.Unlock()
		}})
	dl := &deadLetters{}
	c := start(t, ctx, nil, client.Options{URL: srv.URL(), Backoff: fastBackoff(), Queue: q, OnDeadLetter: dl.add})
	for i := range 5 {
		_, err := c.Send(ctx, transport.MessageText, []byte{'a' + byte(i)})
		require.NoError(t, err)
	}
	srv.ReleaseHandshakes()
	require.NoError(t, c.Flush(ctx))
	require.NoError(t, c.Close())

	mu.Lock()
	assert.Equal(t, []uint64{1, 2, 3}, own, "the queue's own OnDrop")
	mu.Unlock()
	var seqs []uint64
	for _, d := range dl.list() {
		assert.Equal(t, client.ReasonOverflow, d.Reason)
		seqs = append(seqs, d.Seq)
	}
	assert.Equal(t, []uint64{1, 2, 3}, seqs, "OnDeadLetter")
	assert.Equal(t, uint64(3), c.Stats().Dropped)
}

// TestCloseRacingSendsLosesNoReport: producers keep sending into a
// one-message queue that drops the oldest while Close runs. Every message
// Send accepted is either dropped by the overflow policy or left in the
// queue at Close, and either way reported before Close returns: none may
// be reported by a producer after the dispatcher has stopped.
func TestCloseRacingSendsLosesNoReport(t *testing.T) {
	for round := range 20 {
		ctx := testCtx(t)
		srv := wstest.Start(t, wstest.Options{})
		srv.StallHandshakes() // offline: nothing is delivered
		dl := &deadLetters{}
		c, err := client.Start(ctx, client.Options{
			URL: srv.URL(), Backoff: fastBackoff(), OnDeadLetter: dl.add,
			QueueOptions: queue.Options{MaxMessages: 1, Overflow: queue.DropOldest},
		})
		require.NoError(t, err)
		var accepted atomic.Int64
		var wg sync.WaitGroup
		started := make(chan struct{})
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					if i == 10 {
						select {
						case started <- struct{}{}:
						default:
						}
					}
					if _, err := c.Send(ctx, transport.MessageBinary, []byte{1}); err != nil {
						return
					}
					accepted.Add(1)
				}
			}()
		}
		<-started
		require.NoError(t, c.Close())
		wg.Wait()
		require.Equal(t, accepted.Load(), int64(len(dl.list())), "round %d: every accepted message reported once", round)
	}
}
