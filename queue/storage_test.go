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

func TestStorageReusesBlocks(t *testing.T) {
	q, _, _ := newTestQueue(t, Options{})
	push(t, q, strings.Repeat("a", 40), 0)
	first, _ := q.TryNext()
	require.NoError(t, q.Ack(first.Seq))
	push(t, q, strings.Repeat("b", 33), 0) // same 64-byte class
	second, _ := q.TryNext()
	assert.Same(t, &first.Payload[0], &second.Payload[0], "the acked block was recycled")
	assert.Equal(t, strings.Repeat("b", 33), string(second.Payload))
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
