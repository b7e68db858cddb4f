package queue

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClose(t *testing.T) {
	q, _, rec := newTestQueue(t, Options{})
	push(t, q, "a", 0)
	push(t, q, "b", 0)
	handOut(t, q, 1)
	require.NoError(t, q.Close())
	require.NoError(t, q.Close(), "Close is idempotent")

	_, err := q.Push(context.Background(), Message{Payload: []byte("c")})
	assert.ErrorIs(t, err, ErrClosed)
	_, err = q.Next(context.Background())
	assert.ErrorIs(t, err, ErrClosed)
	_, ok := q.TryNext()
	assert.False(t, ok)
	assert.ErrorIs(t, q.Ack(1), ErrClosed)
	assert.ErrorIs(t, q.AckThrough(1), ErrClosed)
	n, b := q.Len()
	assert.Equal(t, 2, n, "Close keeps the entries for Drain")
	assert.Equal(t, int64(2), b)

	var seqs []uint64
	require.NoError(t, q.Drain(func(e Entry) { seqs = append(seqs, e.Seq) }))
	assert.Equal(t, []uint64{1, 2}, seqs, "in flight and pending, oldest first")
	n, b = q.Len()
	assert.Equal(t, 0, n)
	assert.Equal(t, int64(0), b)
	require.NoError(t, q.Drain(func(Entry) { t.Error("second drain found an entry") }))
	assert.Empty(t, rec.take())
}

func TestDrain(t *testing.T) {
	t.Run("nil function reports to OnDrop", func(t *testing.T) {
		q, _, rec := newTestQueue(t, Options{})
		push(t, q, "a", 0)
		push(t, q, "b", 0)
		require.NoError(t, q.Close())
		require.NoError(t, q.Drain(nil))
		assert.Equal(t, []dropRecord{{1, ReasonClosed, "a"}, {2, ReasonClosed, "b"}}, rec.take())
	})
	t.Run("open queue stays usable", func(t *testing.T) {
		q, _, _ := newTestQueue(t, Options{})
		push(t, q, "a", 0)
		handOut(t, q, 1)
		assert.Equal(t, []string{"a"}, held(t, q))
		assert.Equal(t, uint64(2), push(t, q, "b", 0), "sequence numbers go on")
		q.Rewind()
		assert.Equal(t, []string{"b"}, pendingPayloads(t, q))
	})
	t.Run("without OnDrop nothing is reported", func(t *testing.T) {
		q := NewMemory(Options{})
		defer q.Close()
		_, err := q.Push(context.Background(), Message{Payload: []byte("a")})
		require.NoError(t, err)
		require.NoError(t, q.Drain(nil))
		n, _ := q.Len()
		assert.Equal(t, 0, n)
	})
}
