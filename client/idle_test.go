package client_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// releasingQueue is a queue.Memory that reports each ReleaseIdle the
// Client makes and what it answered.
type releasingQueue struct {
	*queue.Memory
	released chan bool
}

func (q *releasingQueue) ReleaseIdle() bool {
	ok := q.Memory.ReleaseIdle()
	select {
	case q.released <- ok:
	default: // nobody is counting: drop
	}
	return ok
}

// TestQuietSessionReleasesAndResumes: before each heartbeat the Client
// lets go of what a quiet session does not need (client/idle.go): the
// queue is asked on every ping, declines while messages flow, releases
// once it is empty (AtLeastOnce: acknowledged) and a whole heartbeat
// passed without a push; and bursts sent after
// each release, in every delivery mode, arrive whole and in order, with
// the numbering unbroken.
func TestQuietSessionReleasesAndResumes(t *testing.T) {
	for _, mode := range []client.Delivery{client.AtLeastOnce, client.AtMostOnce} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			ctx := testCtx(t)
			srv := wstest.Start(t, wstest.Options{})
			q := &releasingQueue{Memory: queue.NewMemory(queue.Options{}), released: make(chan bool, 1)}
			o := client.Options{URL: srv.URL(), Backoff: fastBackoff(), Queue: q, Delivery: mode, MaxInFlight: 1000}
			o.Heartbeat.Interval = 5 * time.Millisecond
			c := start(t, ctx, nil, o)
			var want []string
			var last uint64
			for round := range 4 {
				for i := range 50 {
					msg := fmt.Sprintf("round %d message %d %s", round, i, make([]byte, i*7))
					seq, err := c.Send(ctx, transport.MessageBinary, []byte(msg))
					require.NoError(t, err)
					require.Equal(t, last+1, seq, "numbering")
					last = seq
					want = append(want, msg)
				}
				require.NoError(t, srv.WaitReceived(ctx, len(want)))
				if mode == client.AtLeastOnce {
					require.NoError(t, c.AckThrough(last)) // the queue empties
				}
				require.NoError(t, c.Flush(ctx))
				// Wait, by events, for a heartbeat that found the session
				// quiet and released.
				for released := false; !released; {
					select {
					case released = <-q.released:
					case <-ctx.Done():
						require.FailNow(t, "no heartbeat released the quiet session")
					}
				}
			}
			var got []string
			for _, m := range srv.Received() {
				got = append(got, string(m.Data))
			}
			assert.Equal(t, want, got)
		})
	}
}
