package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/internal/testctx"
	"github.com/sturdyws/sturdy/transport"
)

// untilTestDeadline bounds a test's waits without a wall-clock bound.
func untilTestDeadline(t *testing.T) context.Context { return testctx.UntilDeadline(t) }

// wsServer starts a loopback WebSocket server that runs serve on every
// connection it accepts (numbered from 1), closing the socket when serve
// returns, and returns its ws:// URL. It stops when the test ends, after
// the test's own deferred calls (a Client's Close among them).
func wsServer(t *testing.T, serve func(n int, conn *transport.Conn)) string {
	var conns atomic.Int32
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		conn, err := transport.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		serve(int(conns.Add(1)), conn)
	}))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); wg.Wait() })
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// sentSignal is an Observer that reports every flush that went out.
type sentSignal struct {
	NopObserver
	sent chan struct{}
}

func (s sentSignal) MessagesSent(int, int) {
	select {
	case s.sent <- struct{}{}:
	default:
	}
}

// Messages the server sent before it closed reach Read, with their
// connection's ordinal, even when the Client's writer finds the server gone
// before its reader has read them (a program starved of CPU makes that
// race common). Here the reader is held on the first message until the
// writer's write has failed and the supervisor knows it.
func TestWriteToGoneServerDeliversWhatArrived(t *testing.T) {
	ctx := untilTestDeadline(t)
	// Once the second connection is up, everything the first one read
	// must be in the inbox already: Read with this context returns what
	// is waiting and fails fast on what was lost.
	readCtx, secondUp := context.WithCancel(ctx)
	defer secondUp()
	url := wsServer(t, func(n int, conn *transport.Conn) {
		if n > 1 {
			secondUp()
			for { // later connections stay open, quiet, until the client goes
				if _, _, err := conn.Read(context.Background()); err != nil {
					return
				}
			}
		}
		for _, p := range []string{"price 1", "price 2", "price 3"} {
			if conn.Write(context.Background(), transport.MessageText, []byte(p)) != nil {
				return
			}
		}
		// Returning closes the socket: what the client writes next is reset.
	})

	release := make(chan struct{})
	var held atomic.Bool
	drained := make(chan struct{})
	var drainOnce sync.Once
	var first atomic.Pointer[transport.Conn]
	obs := sentSignal{sent: make(chan struct{}, 1)}
	opts := Options{
		URL:              url,
		DisableHeartbeat: true,
		Observer:         obs,
		AckExtractor: func(_ transport.MessageType, p []byte) (uint64, bool) {
			if string(p) == "price 1" && held.CompareAndSwap(false, true) {
				<-release
			}
			return 0, false
		},
		OnConnect: func(_ context.Context, conn *transport.Conn) error {
			first.CompareAndSwap(nil, conn)
			return nil
		},
	}
	opts.drainHook = func() { drainOnce.Do(func() { close(drained) }) }
	c, err := Start(ctx, opts)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.WaitConnected(ctx))

	// Send until a write fails: each message that goes out is followed
	// by the next; the one that fails leaves the connection.
	func() {
		for {
			_, err := c.Send(ctx, transport.MessageText, []byte("order"))
			require.NoError(t, err)
			select {
			case <-obs.sent:
			case <-drained:
				return
			case <-first.Load().Done(): // the socket dropped at the failed write
				return
			case <-ctx.Done():
				require.FailNow(t, "no write ever failed")
			}
		}
	}()
	close(release)

	for _, want := range []string{"price 1", "price 2", "price 3"} {
		m, err := c.Read(readCtx)
		require.NoError(t, err, "reading %q: lost", want)
		require.Equal(t, want, string(m.Payload))
		require.Equal(t, uint64(1), m.Conn, "%q came on the first connection", want)
	}
	select {
	case <-drained:
	default:
		require.FailNow(t, "the supervisor never waited for the reader")
	}
}
