package client_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
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
// runs three goroutines: the supervisor (which is also the writer), the
// connection's reader and the heartbeat monitor. Callbacks get a goroutine
// only while some are pending.
func TestIdleClientGoroutines(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{URL: srv.URL()})
	require.NoError(t, c.WaitConnected(ctx))
	rec.waitState(t, ctx, client.Connected) // the callback has run
	require.Eventually(t, func() bool { return clientGoroutines() == 3 }, 10*time.Second, 5*time.Millisecond,
		"idle client runs %d goroutines, want 3", clientGoroutines())
	require.NoError(t, c.Close())
	// Close has waited for every goroutine to signal that it is done; a
	// goroutine may still be on its way out of its last line.
	require.Eventually(t, func() bool { return clientGoroutines() == 0 }, 10*time.Second, time.Millisecond,
		"Close leaves goroutines behind")
}
