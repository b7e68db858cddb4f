package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestNewClientReplaysWhatTheOldOneLeft: a Client on a durable queue
// writes ten readings to a server that never acknowledges them, and is
// closed (the program restarts). A new Client on the same directory
// replays all ten, in order and before anything sent after the restart,
// and the queue ends empty once the server acknowledges.
func TestNewClientReplaysWhatTheOldOneLeft(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := wstest.Start(t, wstest.Options{
		Default:      wstest.Sink(ackReading),
		ByConnection: map[int]wstest.Behavior{1: wstest.Sink(nil)}, // the first never acknowledges
	})
	dir := t.TempDir()
	var deadLetters atomic.Int32
	start := func() (*client.Client, *queue.File) {
		q, err := queue.OpenFile(dir, queue.FileOptions{})
		require.NoError(t, err)
		c, err := client.Start(ctx, client.Options{
			URL:          srv.URL() + "/telemetry",
			Queue:        q,
			Delivery:     client.AtLeastOnce,
			AckExtractor: parseAck,
			Backoff:      backoff.NewConstantBackOff(10 * time.Millisecond),
			OnDeadLetter: func(client.DeadLetter) { deadLetters.Add(1) },
		})
		require.NoError(t, err)
		return c, q
	}
	var sent [][]byte
	var last uint64
	send := func(c *client.Client) {
		p, err := sample(len(sent), time.Now()).encode()
		require.NoError(t, err)
		var stamped []byte
		seq, err := c.SendMessage(ctx, client.Message{Type: transport.MessageText, Payload: p,
			Stamp: func(seq uint64, q []byte) { stampSeq(seq, q); stamped = append([]byte(nil), q...) }})
		require.NoError(t, err)
		require.Greater(t, seq, last, "numbering goes on across the restart, never back")
		n, ok := wstest.ParseSeq(stamped)
		require.True(t, ok, "%s", stamped)
		require.Equal(t, seq, n, "the payload carries its own number")
		last = seq
		sent = append(sent, stamped)
	}

	old, _ := start()
	for range 10 {
		send(old)
	}
	require.NoError(t, srv.WaitReceived(ctx, 10))
	require.NoError(t, old.Close(), "a durable queue's leftovers are not undelivered")
	require.Zero(t, deadLetters.Load())

	c, q := start()
	require.Equal(t, 10, q.Recovery().Entries)
	for range 5 {
		send(c)
	}
	require.NoError(t, c.Flush(ctx))
	require.NoError(t, c.Close())
	require.Zero(t, deadLetters.Load())

	require.NoError(t, wstest.CheckDelivery(sent, srv.Received()))
	var replayed []uint64
	for _, m := range srv.ReceivedOn(2) {
		seq, ok := wstest.ParseSeq(m.Data)
		require.True(t, ok)
		replayed = append(replayed, seq)
	}
	require.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, replayed,
		"the new Client's connection replays the old one's messages first, in order")

	q, err := queue.OpenFile(dir, queue.FileOptions{})
	require.NoError(t, err)
	n, _ := q.Len()
	require.NoError(t, q.Close())
	require.Zero(t, n)
}
