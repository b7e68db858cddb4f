package queue

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestManyProducersOneConsumer runs the client's shape under the race
// detector: producers blocking on a small queue, a writer gathering
// batches with Next and TryNext, and acks from a third goroutine. Each
// producer's messages must come out in its own order, and sequence numbers
// in increasing order, with none lost.
func TestManyProducersOneConsumer(t *testing.T) {
	const producers, perProducer = 4, 500
	q := NewMemory(Options{MaxMessages: 8, MaxBytes: 64, Overflow: Block})
	ctx := context.Background()

	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range perProducer {
				_, err := q.Push(ctx, Message{Type: 2, Payload: []byte{byte(p), byte(i >> 8), byte(i)}})
				if !assert.NoError(t, err) {
					return
				}
			}
		})
	}

	acks := make(chan uint64, 16)
	ackDone := make(chan struct{})
	go func() {
		defer close(ackDone)
		for seq := range acks {
			assert.NoError(t, q.Ack(seq))
		}
	}()

	next := make([]int, producers)
	var lastSeq uint64
	for got := 0; got < producers*perProducer; {
		e, err := q.Next(ctx)
		require.NoError(t, err)
		for ok := true; ok; e, ok = q.TryNext() {
			require.Greater(t, e.Seq, lastSeq, "sequence order")
			lastSeq = e.Seq
			p, i := int(e.Payload[0]), int(e.Payload[1])<<8|int(e.Payload[2])
			require.Equal(t, next[p], i, "producer %d order", p)
			next[p]++
			got++
			acks <- e.Seq // the payload is not touched after this
		}
	}
	close(acks)
	<-ackDone
	wg.Wait()
	require.NoError(t, q.Close())
	n, _ := q.Len()
	assert.Equal(t, 0, n)
}
