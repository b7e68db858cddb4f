package client_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestLargeMessageOnSlowLinkArrives: a message that takes many heartbeat
// timeouts to cross a slow link (the server reads at 512 KiB/s) arrives
// intact on the first connection: a ping waiting behind it is not a dead
// peer while the link moves. The write timeout is the default: Linux wakes
// a writer blocked on a full socket only once a third of the buffer is
// free, so on a slow link the socket takes bytes in bursts seconds apart.
func TestLargeMessageOnSlowLinkArrives(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{ReadRate: 512 << 10})
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{
		URL:       srv.URL(),
		Dial:      transport.DialOptions{ReadLimit: 32 << 20}, // the default write timeout
		Heartbeat: heartbeat.Options{Interval: 250 * time.Millisecond, Timeout: time.Second},
	})
	payload := bytes.Repeat([]byte("slow link "), 600_000) // 6 MB: seconds at this rate
	_, err := c.Send(ctx, transport.MessageBinary, payload)
	require.NoError(t, err)
	require.NoError(t, c.Flush(ctx))
	got := srv.Received()
	require.Len(t, got, 1, "stats %+v changes %v", c.Stats(), rec.snapshot())
	assert.True(t, bytes.Equal(payload, got[0].Data), "intact")
	assert.Equal(t, -1, indexOf(rec.snapshot(), client.Reconnecting, 1), "no reconnect: %v", rec.snapshot())
}

// TestStalledPeerStillDetected: a peer that stops reading altogether is
// found within the write timeout even though writes are now judged by
// progress: the socket stops taking bytes.
func TestStalledPeerStillDetected(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Script: []wstest.Rule{{Conn: 1, AfterReceived: 1, Do: wstest.Stall()}}})
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{
		URL:              srv.URL(),
		Backoff:          fastBackoff(),
		DisableHeartbeat: true, // the write timeout alone must find it
		Dial:             transport.DialOptions{WriteTimeout: 300 * time.Millisecond},
	})
	_, err := c.Send(ctx, transport.MessageBinary, []byte("first"))
	require.NoError(t, err)
	big := make([]byte, 32<<20) // more than any socket buffer holds
	_, err = c.SendMessage(ctx, client.Message{Type: transport.MessageBinary, Payload: big})
	require.NoError(t, err)
	ch := rec.waitState(t, ctx, client.Reconnecting)
	var ce *transport.CloseError
	require.ErrorAs(t, ch.Cause, &ce)
	assert.Equal(t, transport.StatusAbnormalClosure, ce.Code)
}

// TestServerDownForReal: the server stops listening (connections refused by
// the kernel, the live one dropped without a close frame) for as long as
// three attempts take, and comes back on the same address; the Client
// reconnects and delivers what was queued meanwhile, in order.
func TestServerDownForReal(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	rec := newRecorder()
	b := backoff.NewConstantBackOff(200 * time.Millisecond)
	c := start(t, ctx, rec, client.Options{URL: srv.URL(), Backoff: b})
	require.NoError(t, c.WaitConnected(ctx))
	srv.Stop()
	rec.waitState(t, ctx, client.Reconnecting)
	for _, p := range []string{"a", "b", "c"} {
		_, err := c.Send(ctx, transport.MessageText, []byte(p))
		require.NoError(t, err)
	}
	// Attempts fail against the closed port until the server is back.
	rec.waitFor(t, ctx, func(cs []client.StateChange) bool {
		failed := 0
		for _, ch := range cs {
			if ch.To == client.Reconnecting && ch.Attempt > 0 {
				failed++
			}
		}
		return failed >= 3
	})
	require.NoError(t, srv.Restart())
	rec.waitNth(t, ctx, client.Connected, 2)
	require.NoError(t, c.Flush(ctx))
	var got []string
	for _, m := range srv.Received() {
		got = append(got, string(m.Data))
	}
	assert.Equal(t, []string{"a", "b", "c"}, got)
}
