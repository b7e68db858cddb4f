package client

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/internal/testctx"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestReleaseIdleKeepsWhatTheWriterNeeds: the heartbeat's releaseIdle
// lets the writer's batch array and the confirmer's list go only when the
// queue was quiet through a whole period and the writer is parked (its
// lock free), and the list only once a pong has confirmed every entry in
// it: an entry still unconfirmed is what reportUnconfirmed reports when
// the connection ends, and forgetting it would lose that report.
func TestReleaseIdleKeepsWhatTheWriterNeeds(t *testing.T) {
	ctx := testctx.UntilDeadline(t)
	srv := wstest.Start(t, wstest.Options{})
	conn, _, err := transport.Dial(ctx, srv.URL(), nil)
	require.NoError(t, err)
	defer conn.CloseNow()
	q := queue.NewMemory(queue.Options{})
	defer q.Close()
	cf := newConfirmer()
	e := &connEnd{c: &Client{q: q}, conn: conn, cf: cf}
	written := []queue.Entry{{Seq: 1}, {Seq: 2}, {Seq: 3}}
	cf.wrote(written)
	batch := make([]queue.Entry, 0, 8)
	e.ws.batch = batch

	// The writer is mid-batch: it holds its lock, and nothing goes.
	e.ws.mu.Lock()
	e.releaseIdle()
	e.ws.mu.Unlock()
	assert.Equal(t, cap(batch), cap(e.ws.batch))
	assert.Equal(t, written, cf.unconfirmed)

	// Parked, with the queue quiet: the batch goes; two of the three
	// entries are confirmed, so the list stays whole.
	cf.confirmThrough(2)
	e.releaseIdle()
	assert.Nil(t, e.ws.batch)
	assert.Equal(t, written, cf.unconfirmed, "entry 3 is unconfirmed")

	// A push since the last ping: the session is not quiet, and even a
	// confirmed list stays until the next period.
	e.ws.batch = batch
	cf.confirmThrough(3)
	seq, err := q.Push(context.Background(), queue.Message{Payload: []byte("new")})
	require.NoError(t, err)
	_, ok := q.TryNext()
	require.True(t, ok)
	require.NoError(t, q.Ack(seq))
	e.releaseIdle()
	assert.Equal(t, cap(batch), cap(e.ws.batch))
	assert.Equal(t, written, cf.unconfirmed)

	// A whole quiet period, everything confirmed: both go.
	_, ok = q.TryNext()
	require.False(t, ok)
	e.releaseIdle()
	assert.Nil(t, e.ws.batch)
	assert.Nil(t, cf.unconfirmed)
}
