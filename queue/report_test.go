package queue

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOnDropRunsWithoutLock(t *testing.T) {
	var q *Memory
	var lens []int
	var reentered []error
	q = NewMemory(Options{MaxMessages: 1, Overflow: DropNewest, OnDrop: func(e Entry, why DropReason) {
		n, _ := q.Len() // would deadlock under the lock
		lens = append(lens, n)
		if string(e.Payload) == "b" {
			// A Push from inside OnDrop drops again; that drop is reported
			// after this call returns, not inside it.
			_, err := q.Push(context.Background(), Message{Payload: []byte("c")})
			reentered = append(reentered, err)
		}
	}})
	defer q.Close()
	_, err := q.Push(context.Background(), Message{Payload: []byte("a")})
	require.NoError(t, err)
	_, err = q.Push(context.Background(), Message{Payload: []byte("b")})
	require.ErrorIs(t, err, ErrDropped)
	assert.Equal(t, []int{1, 1}, lens, "both drops reported")
	require.Len(t, reentered, 1)
	assert.ErrorIs(t, reentered[0], ErrDropped)
}

func TestOnDropPanicKeepsReporting(t *testing.T) {
	calls := 0
	q := NewMemory(Options{MaxMessages: 1, Overflow: DropNewest, OnDrop: func(Entry, DropReason) {
		calls++
		if calls == 1 {
			panic("boom")
		}
	}})
	defer q.Close()
	_, err := q.Push(context.Background(), Message{Payload: []byte("a")})
	require.NoError(t, err)
	require.PanicsWithValue(t, "boom", func() {
		_, _ = q.Push(context.Background(), Message{Payload: []byte("b")})
	})
	_, err = q.Push(context.Background(), Message{Payload: []byte("c")})
	require.ErrorIs(t, err, ErrDropped)
	assert.Equal(t, 2, calls, "the reporter's role survived the panic")
}
