package queue

import (
	"context"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPushNextAckOrder(t *testing.T) {
	q, clk, _ := newTestQueue(t, Options{})
	for i, p := range []string{"a", "b", "c"} {
		require.Equal(t, uint64(i+1), push(t, q, p, 0), "seq of %q", p)
	}
	e, ok := q.TryNext()
	require.True(t, ok)
	assert.Equal(t, Entry{Seq: 1, Type: 1, Payload: []byte("a"), Enqueued: clk.Now()}, e)
	e, err := q.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, uint64(2), e.Seq)

	n, b := q.Len()
	assert.Equal(t, 3, n, "handing out removes nothing")
	assert.Equal(t, int64(3), b)

	require.NoError(t, q.Ack(1))
	require.NoError(t, q.Ack(2))
	assert.Equal(t, []string{"c"}, pendingPayloads(t, q))
	n, _ = q.Len()
	assert.Equal(t, 1, n)
}

func TestRingStaysBounded(t *testing.T) {
	// One entry stays in flight at the head while later ones are acked out
	// of order, leaving holes behind it; the ring must squeeze them out
	// and not grow past its limit.
	q, _, _ := newTestQueue(t, Options{MaxMessages: 4})
	pinned := push(t, q, "pinned", 0)
	handOut(t, q, 1)
	var prev uint64
	for i := range 1000 {
		seq := push(t, q, "x", 0)
		require.Equal(t, []string{"x"}, handOut(t, q, 1), "round %d", i)
		if prev != 0 {
			require.NoError(t, q.Ack(prev)) // not the tail: leaves a hole
		}
		prev = seq
		checkRing(t, q)
	}
	assert.LessOrEqual(t, len(q.ring.slots), 8)
	require.NoError(t, q.Ack(pinned))
	require.NoError(t, q.Ack(prev))
	n, _ := q.Len()
	assert.Equal(t, 0, n)
}

func TestOptionsDefaults(t *testing.T) {
	q := NewMemory(Options{MaxMessages: -1, MaxBytes: -1})
	defer q.Close()
	assert.Equal(t, DefaultMaxMessages, q.maxMessages)
	assert.Equal(t, int64(DefaultMaxBytes), q.maxBytes)
	assert.Equal(t, Block, q.policy)
	assert.Equal(t, 1<<15, q.ring.limit, "smallest power of two over twice MaxMessages")
	assert.NotNil(t, q.now)

	huge := NewMemory(Options{MaxMessages: math.MaxInt})
	defer huge.Close()
	if strconv.IntSize == 64 {
		assert.Equal(t, 1<<30, huge.maxMessages)
		assert.Equal(t, int64(1<<31), int64(huge.ring.limit))
	} else {
		assert.Equal(t, 1<<29-1, huge.maxMessages)
		assert.Equal(t, 1<<30, huge.ring.limit)
	}
}

// TestRingLimitNearIntOverflow: MaxMessages whose doubled ring limit would
// pass 1<<31 (an int's end on 386, arm and mipsle, where the power-of-two
// loop used to wrap to 0 and spin forever, or stop at 1 slot) gives a
// queue that holds several messages; GOARCH=386 in CI runs this.
func TestRingLimitNearIntOverflow(t *testing.T) {
	for _, n := range []int{1<<29 - 1, 1 << 29, 1<<29 + 1, 1<<30 - 1, 1 << 30, math.MaxInt32, math.MaxInt} {
		q := NewMemory(Options{MaxMessages: n})
		limit := q.ring.limit
		assert.Positive(t, limit, "MaxMessages %d", n)
		assert.Zero(t, limit&(limit-1), "MaxMessages %d: limit %d is a power of two", n, limit)
		assert.GreaterOrEqual(t, limit/2, q.maxMessages, "MaxMessages %d", n)
		for i := range 20 {
			_, err := q.Push(context.Background(), Message{Payload: []byte{byte(i)}})
			require.NoError(t, err)
		}
		for i := range 20 {
			e, ok := q.TryNext()
			require.True(t, ok, "MaxMessages %d: entry %d", n, i)
			assert.Equal(t, []byte{byte(i)}, e.Payload)
		}
		require.NoError(t, q.Close())
	}
}

func TestStrings(t *testing.T) {
	assert.Equal(t, "Block", Block.String())
	assert.Equal(t, "Reject", Reject.String())
	assert.Equal(t, "DropOldest", DropOldest.String())
	assert.Equal(t, "DropNewest", DropNewest.String())
	assert.Equal(t, "Policy(9)", Policy(9).String())
	assert.Equal(t, "Expired", ReasonExpired.String())
	assert.Equal(t, "OverflowOldest", ReasonOverflowOldest.String())
	assert.Equal(t, "OverflowNewest", ReasonOverflowNewest.String())
	assert.Equal(t, "Closed", ReasonClosed.String())
	assert.Equal(t, "DropReason(0)", DropReason(0).String())
}

func TestErrorsAreDistinct(t *testing.T) {
	errs := []error{ErrClosed, ErrQueueFull, ErrDropped, &TooLargeError{Size: 2, Limit: 1}}
	for i, a := range errs {
		for j, b := range errs {
			assert.Equal(t, i == j, errors.Is(a, b), "errors.Is(%v, %v)", a, b)
		}
	}
}

func TestInFlight(t *testing.T) {
	q := NewMemory(Options{})
	ctx := context.Background()
	for range 3 {
		_, err := q.Push(ctx, Message{Type: 1, Payload: []byte("x")})
		require.NoError(t, err)
	}
	assert.Equal(t, 0, q.InFlight())
	e1, err := q.Next(ctx)
	require.NoError(t, err)
	_, ok := q.TryNext()
	require.True(t, ok)
	assert.Equal(t, 2, q.InFlight())
	require.NoError(t, q.Ack(e1.Seq))
	assert.Equal(t, 1, q.InFlight())
	q.Rewind()
	assert.Equal(t, 0, q.InFlight())
}
