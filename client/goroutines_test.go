package client_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/wstest"
)

// clientGoroutines counts the goroutines running code of the client and
// heartbeat packages.
func clientGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("sturdy/client.(")) || bytes.Contains(g, []byte("sturdy/heartbeat.(")) {
			n++
		}
	}
	return n
}

// TestIdleClientGoroutines: a connected, idle Client with its heartbeat on
// runs two goroutines: the supervisor (which is also the writer) and the
// connection's reader. The heartbeat is a timer, whose callback runs only
// while a ping is due; callbacks get a goroutine only while some are
// pending.
func TestIdleClientGoroutines(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{URL: srv.URL()})
	require.NoError(t, c.WaitConnected(ctx))
	rec.waitState(t, ctx, client.Connected) // the callback has run
	require.Eventually(t, func() bool { return clientGoroutines() == 2 }, 10*time.Second, 5*time.Millisecond,
		"idle client runs %d goroutines, want 2", clientGoroutines())
	require.NoError(t, c.Close())
	// Close has waited for every goroutine to signal that it is done; a
	// goroutine may still be on its way out of its last line.
	require.Eventually(t, func() bool { return clientGoroutines() == 0 }, 10*time.Second, time.Millisecond,
		"Close leaves goroutines behind")
}

// TestBurstLeavesTwoGoroutines: Clients started all at once, on a machine
// too busy to start their readers promptly, still settle at two goroutines
// each, with pings going back and forth: nothing takes the read side from
// a reader that starts late and keeps a third.
func TestBurstLeavesTwoGoroutines(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	const n = 30
	cs := make([]*client.Client, n)
	for i := range cs {
		cs[i] = start(t, ctx, nil, client.Options{URL: srv.URL(),
			Heartbeat: heartbeat.Options{Interval: 10 * time.Millisecond, Timeout: time.Second}})
	}
	for _, c := range cs {
		require.NoError(t, c.WaitConnected(ctx))
	}
	// A few pings each have gone and come back.
	for _, c := range cs {
		require.Eventually(t, func() bool { return c.Stats().LastRTT > 0 }, 10*time.Second, time.Millisecond)
	}
	require.Eventually(t, func() bool { return clientGoroutines() == 2*n }, 10*time.Second, time.Millisecond,
		"%d idle clients run %d goroutines, want %d", n, clientGoroutines(), 2*n)
	for _, c := range cs {
		require.NoError(t, c.Close())
	}
}
