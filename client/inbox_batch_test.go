package client

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInboxBatchMatchesOneByOne hands random batches to one inbox with
// add and the same messages one by one to another with tryPush, popping
// the same counts from both in between, for every policy and random
// bounds: both hold the same messages in the same order, refuse at the
// same message (InboundWait), and count the same drops. A batch is only
// a cheaper way to push the same messages.
func TestInboxBatchMatchesOneByOne(t *testing.T) {
	for _, policy := range []InboundPolicy{InboundWait, InboundDropOldest, InboundDropNewest} {
		for seed := uint64(1); seed <= 30; seed++ {
			rng := rand.New(rand.NewPCG(seed, 7+uint64(policy)))
			limit, maxBytes := 1+rng.IntN(20), int64(1+rng.IntN(600))
			batched, single := newInbox(limit, maxBytes, policy), newInbox(limit, maxBytes, policy)
			next := uint64(1)
			for range 500 {
				if rng.IntN(100) < 50 {
					ms := make([]Inbound, 1+rng.IntN(handoffMax))
					for i := range ms {
						ms[i] = Inbound{Conn: next, Payload: make([]byte, rng.IntN(90))}
						next++
					}
					taken, dropped := batched.add(ms, false)
					wantTaken, wantDropped := 0, 0
					for _, m := range ms {
						ok, d := single.tryPush(m)
						wantDropped += d
						if !ok {
							break
						}
						wantTaken++
					}
					require.Equal(t, wantTaken, taken, "policy %v seed %d", policy, seed)
					require.Equal(t, wantDropped, dropped, "policy %v seed %d", policy, seed)
					if policy != InboundWait {
						require.Equal(t, len(ms), taken, "a drop policy takes every message")
					}
				} else {
					for range rng.IntN(8) {
						a, okA := batched.pop()
						b, okB := single.pop()
						require.Equal(t, okB, okA)
						require.Equal(t, b.Conn, a.Conn, "policy %v seed %d", policy, seed)
					}
				}
				n, bytes, dropped, _ := batched.stats()
				wn, wbytes, wdropped, _ := single.stats()
				require.Equal(t, wn, n)
				require.Equal(t, wbytes, bytes)
				require.Equal(t, wdropped, dropped)
				require.LessOrEqual(t, n, limit)
				require.True(t, n <= 1 || bytes <= maxBytes)
			}
		}
	}
}

// TestPoolBounds: the pool keeps at most its count and byte bounds of
// released buffers, counting the spares the reader holds and has lent
// out since its last settle, never takes back the buffer released just
// before (a double Release in a row), and gets the unused spares back
// when the reader ends.
func TestPoolBounds(t *testing.T) {
	p := &pool{max: 4, maxB: 1000}
	a := make([]byte, 100)
	p.put(a)
	p.put(a) // the same buffer again: ignored
	require.Len(t, p.free, 1)
	for range 10 {
		p.put(make([]byte, 100))
	}
	require.Equal(t, 4, p.n, "count bound")
	p.put(make([]byte, 10, 1000))
	require.Equal(t, 4, p.n)
	// The reader takes them all; lent ones still count until it settles.
	var sp spares
	for range 4 {
		require.NotNil(t, sp.take(p))
	}
	p.put(make([]byte, 100))
	require.Equal(t, 4, p.n, "lent buffers count until the reader settles")
	require.Nil(t, sp.take(p), "empty: it settles and finds nothing")
	require.Zero(t, p.n)
	require.Zero(t, p.bytes)
	p.put(make([]byte, 900))
	p.put(make([]byte, 200))
	require.Equal(t, 1, p.n, "byte bound")
	require.Equal(t, int64(900), p.bytes)

	// A reader that ends with spares in hand gives them back; what it
	// lent is the program's and no longer counted.
	q := &pool{max: 8, maxB: 1 << 20}
	for range 5 {
		q.put(make([]byte, 64))
	}
	var rd spares
	require.NotNil(t, rd.take(q)) // takes all five as spares, lends one
	require.Empty(t, q.free)
	rd.giveBack(q)
	require.Len(t, q.free, 4)
	require.Equal(t, 4, q.n)
	require.Equal(t, int64(4*64), q.bytes)
	require.Empty(t, rd.bufs)
}
