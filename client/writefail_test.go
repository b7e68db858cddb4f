package client

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// markFailsOnce is a memory queue that keeps AtMostOnce's sending marks, as
// queue.File does, and whose first mark fails, as queue.File's does on a
// full disk (appendRec's write error).
type markFailsOnce struct {
	*queue.Memory
	failed atomic.Bool
}

var errDiskFull = errors.New("queue: mark: no space left on device")

func (q *markFailsOnce) MarkSending(uint64) error {
	if q.failed.CompareAndSwap(false, true) {
		return errDiskFull
	}
	return nil
}

// A writer error that is not the transport's (here the durable queue's
// mark failing) leaves the Conn open; it must not pass for a drain after a
// gone peer, or the supervisor would wait for the connection to end
// forever: no reconnect, and nothing sent after it ever leaving, while the
// peer is healthy.
func TestQueueErrorIsNoDrain(t *testing.T) {
	ctx := untilTestDeadline(t)
	var conns atomic.Int32
	got := make(chan string, 16)
	url := wsServer(t, func(n int, conn *transport.Conn) {
		conns.Store(int32(n))
		for {
			_, p, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			got <- string(p)
		}
	})

	c, err := Start(ctx, Options{
		URL:      url,
		Queue:    &markFailsOnce{Memory: queue.NewMemory(queue.Options{})},
		Delivery: AtMostOnce,
	})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.WaitConnected(ctx))
	_, err = c.Send(ctx, transport.MessageText, []byte("first")) // its mark fails
	require.NoError(t, err)
	_, err = c.Send(ctx, transport.MessageText, []byte("second"))
	require.NoError(t, err)
	select {
	case p := <-got:
		t.Logf("server got %q on connection %d", p, conns.Load())
	case <-ctx.Done():
		require.FailNow(t, "nothing was sent after the queue's error", "connections: %d, state %v", conns.Load(), c.State())
	}
}
