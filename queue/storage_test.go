package queue

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPayloadIsCopied(t *testing.T) {
	for _, size := range []int{0, 1, 100, lockedCopyMax, lockedCopyMax + 1, 1 << 20} {
		q, _, _ := newTestQueue(t, Options{})
		buf := []byte(strings.Repeat("x", size))
		_, err := q.Push(context.Background(), Message{Payload: buf})
		require.NoError(t, err)
		for i := range buf {
			buf[i] = 'y'
		}
		e, ok := q.TryNext()
		require.True(t, ok)
		require.Len(t, e.Payload, size)
		assert.Equal(t, strings.Repeat("x", size), string(e.Payload), "size %d", size)
		assert.Equal(t, size, cap(e.Payload), "no room to append into the queue's block")
	}
}

// TestStorageReusesBlocks: the block of an acknowledged entry serves a
// later push once the consumer has called again, and not before, since
// the consumer may still be writing the payload it was handed.
func TestStorageReusesBlocks(t *testing.T) {
	q, _, _ := newTestQueue(t, Options{})
	push(t, q, strings.Repeat("a", 40), 0)
	first, _ := q.TryNext()
	require.NoError(t, q.Ack(first.Seq))
	push(t, q, strings.Repeat("c", 40), 0) // same class, before the consumer's next call
	assert.Equal(t, strings.Repeat("a", 40), string(first.Payload), "parked, not reused")
	second, _ := q.TryNext() // the consumer's next call releases the block
	require.NoError(t, q.Ack(second.Seq))
	_, ok := q.TryNext()
	require.False(t, ok)
	push(t, q, strings.Repeat("b", 33), 0) // same 64-byte class
	third, _ := q.TryNext()
	assert.True(t, &first.Payload[0] == &third.Payload[0] || &second.Payload[0] == &third.Payload[0], "an acked block was recycled")
	assert.Equal(t, strings.Repeat("b", 33), string(third.Payload))
}

func TestStorageBudget(t *testing.T) {
	s := storage{budget: 100}
	a, b := s.get(64), s.get(64)
	assert.Equal(t, 64, cap(a))
	s.put(a)
	s.put(b) // over budget: left to the collector
	assert.Equal(t, int64(64), s.idle)
	assert.Equal(t, 16, cap(s.get(3)), "smallest block")
	assert.Nil(t, s.get(0))
}
