package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// numbered is a message that carries n, so a test can check order.
func numbered(n uint64) Inbound { return Inbound{Conn: n} }

// TestInboxMatchesModel runs random pushes and pops against a plain slice:
// same order, same refusals at the bound, through every growth and wrap,
// and the ring never longer than twice the bound.
func TestInboxMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, limit := range []int{1, 2, 3, 5, 8, 100, 256} {
		b := waitInbox(limit)
		var model []uint64
		next := uint64(1)
		for range 5000 {
			if rng.IntN(100) < 55 {
				ok := pushed(b, numbered(next))
				require.Equal(t, len(model) < limit, ok, "limit %d, holding %d", limit, len(model))
				if ok {
					model = append(model, next)
					next++
				}
			} else {
				m, ok := b.pop()
				require.Equal(t, len(model) > 0, ok, "limit %d", limit)
				if ok {
					require.Equal(t, model[0], m.Conn, "limit %d", limit)
					model = model[1:]
				}
			}
			require.LessOrEqual(t, len(b.buf), max(4, 2*limit))
		}
	}
}

// TestInboxStartsEmpty: no slots until the first message, which is what
// keeps an idle Client small.
func TestInboxStartsEmpty(t *testing.T) {
	b := waitInbox(256)
	assert.Nil(t, b.buf)
	require.True(t, pushed(b, numbered(1)))
	assert.Len(t, b.buf, 4)
}

// TestInboxPopClearsSlot: a message taken by the application is not kept
// alive by the ring.
func TestInboxPopClearsSlot(t *testing.T) {
	b := waitInbox(4)
	require.True(t, pushed(b, Inbound{Payload: []byte("x")}))
	_, ok := b.pop()
	require.True(t, ok)
	for _, m := range b.buf {
		assert.Nil(t, m.Payload)
	}
}

// TestInboxPushWaitsForRoom: a push into a full inbox returns once a pop
// makes room, and its message comes after those already held.
func TestInboxPushWaitsForRoom(t *testing.T) {
	b := waitInbox(2)
	require.True(t, pushed(b, numbered(1)))
	require.True(t, pushed(b, numbered(2)))
	require.False(t, pushed(b, numbered(3)))
	pushed := make(chan error, 1)
	go func() { pushed <- b.push(context.Background(), numbered(3)) }()
	m, ok := b.pop()
	require.True(t, ok)
	assert.Equal(t, uint64(1), m.Conn)
	require.NoError(t, <-pushed)
	for _, want := range []uint64{2, 3} {
		m, ok := b.pop()
		require.True(t, ok)
		assert.Equal(t, want, m.Conn)
	}
}

// TestInboxPushStopsWithContext: a push waiting for room gives up with the
// context's cause and leaves the inbox as it was.
func TestInboxPushStopsWithContext(t *testing.T) {
	b := waitInbox(1)
	require.True(t, pushed(b, numbered(1)))
	cause := errors.New("session over")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	require.ErrorIs(t, b.push(ctx, numbered(2)), cause)
	assert.Equal(t, 1, b.n)
}

// TestInboxNextAfterClosed: once closed, next hands out what is left, then
// reports false instead of waiting.
func TestInboxNextAfterClosed(t *testing.T) {
	b := waitInbox(4)
	require.True(t, pushed(b, numbered(1)))
	closed := make(chan struct{})
	close(closed)
	ctx := context.Background()
	m, ok, err := b.next(ctx, closed)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint64(1), m.Conn)
	_, ok, err = b.next(ctx, closed)
	require.NoError(t, err)
	assert.False(t, ok)
}

// TestInboxNextStopsWithContext: a reader waiting on an empty inbox
// returns the context's error.
func TestInboxNextStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, ok, err := waitInbox(4).next(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, ok)
}

// TestInboxManyReaders: readers waiting at once share one pusher's stream;
// every message reaches exactly one of them, none is left waiting while a
// message is held (a lost wake-up would hang the test), and each reader
// sees its share in order.
func TestInboxManyReaders(t *testing.T) {
	const readers, total = 4, 20000
	b := waitInbox(8)
	waiting := make(chan struct{}, 1)
	b.waitHook = func() { signal(waiting) }
	closed := make(chan struct{})
	got := make([][]uint64, readers)
	var wg sync.WaitGroup
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, ok, err := b.next(context.Background(), closed)
				if err != nil || !ok {
					return
				}
				got[r] = append(got[r], m.Conn)
			}
		}()
	}
	for n := uint64(1); n <= total; n++ {
		require.NoError(t, b.push(context.Background(), numbered(n)))
	}
	// Wait for the readers to empty the inbox before closing, so closing
	// cannot be what got the last messages out. A reader about to wait
	// reports it; the deadline only turns a lost wake-up into a failure.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		b.mu.Lock()
		n := b.n
		b.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-waiting:
		case <-ctx.Done():
			close(closed)
			wg.Wait()
			t.Fatalf("readers stopped with %d messages held", n)
		}
	}
	close(closed)
	wg.Wait()
	seen := make([]bool, total+1)
	count := 0
	for _, g := range got {
		for i, n := range g {
			require.False(t, seen[n], "message %d read twice", n)
			seen[n] = true
			if i > 0 {
				require.Less(t, g[i-1], n, "a reader saw its messages out of order")
			}
		}
		count += len(g)
	}
	assert.Equal(t, total, count)
}

// TestInboxWakesEveryWaitingReader: two messages that arrive while two
// readers wait, with the second push's wake-up folded into the first's,
// reach both readers: the one woken passes the wake on, so the other does
// not sleep while a message waits for it.
func TestInboxWakesEveryWaitingReader(t *testing.T) {
	b := waitInbox(4)
	waiting := make(chan struct{}, 8)
	b.waitHook = func() { waiting <- struct{}{} }
	got := make(chan uint64, 2)
	for range 2 {
		go func() {
			// One message each, then away, as a reader busy with it is.
			m, ok, err := b.next(context.Background(), nil)
			if err == nil && ok {
				got <- m.Conn
			}
		}()
	}
	<-waiting
	<-waiting
	// Two pushes whose wake-ups fold into one token, as they do when the
	// second comes before either reader has run: placed in one step here,
	// so no reader can take the first before the second is in.
	b.mu.Lock()
	b.buf = []Inbound{numbered(1), numbered(2), {}, {}}
	b.n = 2
	b.mu.Unlock()
	signal(b.ready)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var sum uint64
	for range 2 {
		select {
		case n := <-got:
			sum += n
		case <-ctx.Done():
			t.Fatal("a reader slept while a message waited for it")
		}
	}
	assert.Equal(t, uint64(3), sum)
}

// waitInbox is an inbox of n messages that waits for room, with no bytes
// bound: the policy these tests of the ring's mechanics need.
func waitInbox(n int) *inbox { return newInbox(n, 1<<62, InboundWait) }

// pushed is tryPush for tests that only care whether m got in.
func pushed(b *inbox, m Inbound) bool {
	ok, _ := b.tryPush(m)
	return ok
}

// TestInboxPoliciesMatchModel runs random pushes of random sizes and pops
// against a plain slice for each overflow policy, with a count and a
// bytes bound: same messages kept, in the same order, the same ones
// dropped and counted, and neither bound ever passed (but for a single
// message larger than the bytes bound, which is let in alone).
func TestInboxPoliciesMatchModel(t *testing.T) {
	for _, policy := range []InboundPolicy{InboundWait, InboundDropOldest, InboundDropNewest} {
		for seed := uint64(1); seed <= 20; seed++ {
			rng := rand.New(rand.NewPCG(seed, uint64(policy)))
			limit, maxBytes := 1+rng.IntN(16), int64(1+rng.IntN(400))
			b := newInbox(limit, maxBytes, policy)
			var model []Inbound
			var dropped uint64
			next := uint64(1)
			size := func(ms []Inbound) (n int64) {
				for _, m := range ms {
					n += int64(len(m.Payload))
				}
				return n
			}
			fits := func(ms []Inbound, n int) bool {
				return len(ms) == 0 || (len(ms) < limit && size(ms)+int64(n) <= maxBytes)
			}
			for range 3000 {
				if rng.IntN(100) < 60 {
					m := Inbound{Conn: next, Payload: make([]byte, rng.IntN(120))}
					next++
					ok, n := b.tryPush(m)
					switch {
					case fits(model, len(m.Payload)):
						require.True(t, ok)
						require.Zero(t, n)
						model = append(model, m)
					case policy == InboundWait:
						require.False(t, ok)
					case policy == InboundDropNewest:
						require.True(t, ok)
						require.Equal(t, 1, n)
						dropped++
					default:
						require.True(t, ok)
						want := 0
						for !fits(model, len(m.Payload)) {
							model = model[1:]
							want++
						}
						require.Equal(t, want, n)
						dropped += uint64(n)
						model = append(model, m)
					}
				} else {
					m, ok := b.pop()
					require.Equal(t, len(model) > 0, ok)
					if ok {
						require.Equal(t, model[0].Conn, m.Conn)
						model = model[1:]
					}
				}
				n, bytes, d, _ := b.stats()
				require.Equal(t, len(model), n, "policy %v seed %d", policy, seed)
				require.Equal(t, size(model), bytes)
				require.Equal(t, dropped, d)
				require.True(t, n <= 1 || bytes <= maxBytes)
			}
		}
	}
}
