package client

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/mocks"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// unreachableURL returns a loopback URL nothing listens on.
func unreachableURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "ws://" + addr + "/"
}

// With a mocked queue the test controls exactly what the queue answers,
// which no server could: a full queue on Send, and entries left at Close
// that must each reach OnDeadLetter with ReasonClosed.
func TestClientUsesQueueContract(t *testing.T) {
	q := mocks.NewQueue(t)
	q.EXPECT().Push(mock.Anything, mock.MatchedBy(func(m queue.Message) bool {
		return string(m.Payload) == "order-1" && m.Type == queue.MessageType(transport.MessageText) && m.MaxAge == 3*time.Second
	})).Return(uint64(0), queue.ErrQueueFull).Once()
	q.EXPECT().Close().Return(nil).Once()
	left := []queue.Entry{
		{Seq: 7, Type: queue.MessageType(transport.MessageBinary), Payload: []byte{1, 2}},
		{Seq: 8, Type: queue.MessageType(transport.MessageText), Payload: []byte("last")},
	}
	q.EXPECT().Drain(mock.Anything).RunAndReturn(func(fn func(queue.Entry)) error {
		for _, e := range left {
			fn(e)
		}
		return nil
	}).Once()

	var dead []DeadLetter
	c, err := Start(context.Background(), Options{
		URL:          unreachableURL(t),
		Queue:        q,
		MaxAge:       3 * time.Second,
		Backoff:      backoff.NewConstantBackOff(time.Hour),
		OnDeadLetter: func(d DeadLetter) { dead = append(dead, d) },
	})
	require.NoError(t, err)

	_, err = c.Send(context.Background(), transport.MessageText, []byte("order-1"))
	assert.ErrorIs(t, err, queue.ErrQueueFull)

	require.NoError(t, c.Close())
	require.Len(t, dead, 2)
	for i, d := range dead {
		assert.Equal(t, left[i].Seq, d.Seq)
		assert.Equal(t, left[i].Payload, d.Payload)
		assert.Equal(t, ReasonClosed, d.Reason)
	}
	_, err = c.Send(context.Background(), transport.MessageText, []byte("late"))
	assert.ErrorIs(t, err, ErrClosed)
}
