package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/internal/testctx"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestDirectReadsOnlyWhereTheyCanSucceed: Read takes messages off a
// connection itself only where TryReadInto can take them. On a
// connection with permessage-deflate it could take none, and every
// message would cost a park of the program and a wake of the reader,
// which then must not step back either.
func TestDirectReadsOnlyWhereTheyCanSucceed(t *testing.T) {
	ctx := testctx.UntilDeadline(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo(), Compression: &transport.CompressionOptions{}})
	for _, tc := range []struct {
		name       string
		compressed bool
		policy     InboundPolicy
		want       bool
	}{
		{"plain", false, InboundDropOldest, true},
		{"plain, waiting", false, InboundWait, true},
		{"plain, discarding", false, InboundDiscard, false},
		{"compressed", true, InboundDropOldest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts transport.DialOptions
			if tc.compressed {
				opts.Compression = &transport.CompressionOptions{}
			}
			conn, _, err := transport.Dial(ctx, srv.URL(), &opts)
			require.NoError(t, err)
			defer conn.CloseNow()
			_, compressed := conn.Compression()
			require.Equal(t, tc.compressed, compressed)
			assert.Equal(t, tc.want, directReads(conn, tc.policy))
		})
	}
}

// TestPopMoreKeepsToItsBudget: ReadMany's second helping from the inbox
// stops before the message that would take it over its byte budget, so a
// program holding a batch of large messages never holds the buffers the
// reader needs; what it takes comes in order, and the buffers the slots
// held go to the pool.
func TestPopMoreKeepsToItsBudget(t *testing.T) {
	b := newInbox(16, 1<<30, InboundWait)
	sizes := []int{200 << 10, 50 << 10, 10 << 10, 1 << 10}
	for i, size := range sizes {
		p := make([]byte, size)
		p[0] = byte(i)
		ok, _ := b.tryPush(Inbound{Payload: p})
		require.True(t, ok)
	}
	ms := make([]Inbound, 8)
	for i := range ms {
		ms[i].Payload = make([]byte, 0, 64)
	}
	require.Zero(t, b.popMore(ms, 100<<10), "the first is over the budget")
	require.Equal(t, 2, b.popMore(ms[:2], 1<<30), "bounded by the slots")
	b2 := newInbox(16, 1<<30, InboundWait)
	for i, size := range sizes {
		p := make([]byte, size)
		p[0] = byte(i)
		_, _ = b2.tryPush(Inbound{Payload: p})
	}
	n := b2.popMore(ms, 255<<10)
	require.Equal(t, 2, n, "200 KiB and 50 KiB fit 255 KiB; 10 KiB more does not")
	for i := range n {
		assert.Equal(t, byte(i), ms[i].Payload[0])
		assert.Len(t, ms[i].Payload, sizes[i])
	}
	assert.Equal(t, 2, len(b2.pool.free), "the displaced slot buffers are pooled")
	assert.Equal(t, 2, b2.n)
	assert.Equal(t, int32(2), b2.count.Load())
}

// TestPopMoreTakesAllThatFit: with room in the slots and the budget,
// popMore takes every message waiting, not half of them.
func TestPopMoreTakesAllThatFit(t *testing.T) {
	b := newInbox(16, 1<<30, InboundWait)
	for i := range 5 {
		ok, _ := b.tryPush(Inbound{Payload: []byte{byte(i)}})
		require.True(t, ok)
	}
	ms := make([]Inbound, 8)
	require.Equal(t, 5, b.popMore(ms, 1<<20))
	for i := range 5 {
		assert.Equal(t, byte(i), ms[i].Payload[0])
	}
	assert.Zero(t, b.n)
	assert.Zero(t, b.count.Load())
}

// TestStepBackLastsWhileTheProgramTakes: the reader's step back outlasts
// stepBackMax as long as Read takes messages off the connection in each
// period (the program may refill the buffer itself and never find it
// dry), and ends at the first period without one, so a program that
// stops reading still gets the reader back. The hook stands in for the
// program: it takes a message in each of the first three periods.
func TestStepBackLastsWhileTheProgramTakes(t *testing.T) {
	ctx := testctx.UntilDeadline(t)
	b := newInbox(8, 1<<20, InboundWait)
	periods := 0
	b.stepHook = func() {
		periods++
		if periods <= 3 {
			b.direct.taken.Add(1)
		}
	}
	var timer *time.Timer
	b.stepBack(ctx, &timer)
	assert.Equal(t, 4, periods, "periods stepped back")
	require.NoError(t, ctx.Err())

	// Woken through room, it returns at once whatever the program did.
	periods = 0
	signal(b.room)
	b.stepBack(ctx, &timer)
	assert.Zero(t, periods)
}
