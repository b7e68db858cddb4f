package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// REVIEW: a writer error that is not a transport write error (here the
// durable queue's mark failing) leaves the Conn open, so serve takes it for
// a drain and waits on conn.Done() forever: no reconnect, and nothing sent
// after it ever leaves, while the peer is healthy.
func TestReviewWriterErrorWithOpenConnDoesNotHangServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var conns atomic.Int32
	got := make(chan string, 16)
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		conn, err := transport.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		conns.Add(1)
		for {
			_, p, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			got <- string(p)
		}
	}))
	defer func() { srv.CloseClientConnections(); srv.Close(); wg.Wait() }()

	c, err := Start(ctx, Options{
		URL:      "ws" + strings.TrimPrefix(srv.URL, "http"),
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
