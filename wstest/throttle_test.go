package wstest_test

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// SetReadRate throttles a connection that is already open: a message then
// takes at least its size over the rate to be read (a lower bound, which a
// loaded machine only lengthens); lifting the limit lets the next through.
func TestSetReadRate(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{})
	c := dial(t, srv, "/", nil)
	ctx := testCtx(t)
	write(t, c, "unthrottled")
	require.NoError(t, srv.WaitReceived(ctx, 1))

	const rate = 256 << 10
	srv.SetReadRate(rate)
	big := bytes.Repeat([]byte("z"), 512<<10)
	start := time.Now()
	require.NoError(t, c.Write(ctx, transport.MessageBinary, big))
	require.NoError(t, srv.WaitReceived(ctx, 2))
	elapsed := time.Since(start)
	// The server's reader may have been inside an unthrottled read (up to
	// its 64 KiB buffer) when the rate was set, and the first throttled
	// read does not wait: allow 128 KiB of that.
	floor := time.Duration(float64(len(big)-128<<10) / rate * float64(time.Second))
	assert.GreaterOrEqual(t, elapsed, floor, "read at most at the rate")
	assert.Equal(t, big, srv.Received()[1].Data)

	srv.SetReadRate(0)
	write(t, c, "lifted")
	require.NoError(t, srv.WaitReceived(ctx, 3))
}

// A large message through a throttled link, sent with fragments and a
// write timeout, and watched by a heartbeat that knows the bytes written:
// it arrives, the write never stalls, and the heartbeat never calls the
// link dead, although its pings queue behind megabytes of data (issue 18,
// at a scale a unit test can wait for: 3 MiB at 512 KiB/s, with a 500 ms
// heartbeat timeout and write timeout).
func TestThrottledLinkLargeMessage(t *testing.T) {
	const rate = 512 << 10
	srv := wstest.Start(t, wstest.Options{ReadRate: rate})
	var mon atomic.Pointer[heartbeat.Monitor]
	c := dial(t, srv, "/", &transport.DialOptions{
		WriteTimeout: 500 * time.Millisecond,
		OnPong: func(p []byte) {
			if m := mon.Load(); m != nil {
				m.PongReceived(p)
			}
		},
	})
	m, err := heartbeat.Start(c, heartbeat.Options{
		Interval: 250 * time.Millisecond,
		Timeout:  500 * time.Millisecond,
		Progress: c.WriteProgress,
	})
	require.NoError(t, err)
	mon.Store(m)
	defer m.Stop()

	big := bytes.Repeat([]byte("0123456789abcdef"), (3<<20)/16)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	require.NoError(t, c.Write(ctx, transport.MessageBinary, big))
	require.NoError(t, srv.WaitReceived(ctx, 1))
	elapsed := time.Since(start)
	require.NoError(t, m.Err(), "the heartbeat kept the slow link alive")
	require.NoError(t, c.Err())
	got := srv.Received()[0].Data
	assert.True(t, bytes.Equal(big, got), "the message arrived whole")
	last, _ := m.RTT()
	t.Logf("3 MiB at 512 KiB/s: %v; last ping round trip %v", elapsed, last)
	assert.Equal(t, 1, srv.Snapshot().Accepted(), "no reconnect")
}
