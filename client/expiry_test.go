package client_test

import (
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestExpiryReportedWhileDisconnected: a message whose MaxAge passes while
// the Client cannot connect is reported when its deadline passes, not when
// a writer next reaches it (which, during an outage, is never), and its
// slot is freed then.
func TestExpiryReportedWhileDisconnected(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	srv.StallHandshakes()
	dead := make(chan client.DeadLetter, 1)
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{
		URL:          srv.URL(),
		OnDeadLetter: func(d client.DeadLetter) { dead <- d },
	})
	const maxAge = 200 * time.Millisecond
	sent := time.Now()
	seq, err := c.SendMessage(ctx, client.Message{Type: transport.MessageText, Payload: []byte("order"), MaxAge: maxAge})
	require.NoError(t, err)
	var d client.DeadLetter
	select {
	case d = <-dead:
	case <-ctx.Done():
		t.Fatal("the expiry was never reported while disconnected")
	}
	late := time.Since(sent) - maxAge
	assert.Equal(t, seq, d.Seq)
	assert.Equal(t, client.ReasonExpired, d.Reason)
	assert.Equal(t, -1, indexOf(rec.snapshot(), client.Connected, 1), "reported with no connection ever made")
	s := c.Stats()
	assert.Zero(t, s.QueueDepth, "the slot is freed when the message expires")
	assert.Equal(t, uint64(1), s.Expired)
	t.Logf("reported %v after its deadline", late.Round(time.Millisecond))
}

// TestWrittenThenExpiredIsNotNeverSent: AtLeastOnce writes a message, the
// server reads it and the connection drops before any ack; its MaxAge
// passes during the backoff. It is reported ExpiredUnacked (the server may
// have it), not Expired ("never sent"), and not written again.
func TestWrittenThenExpiredIsNotNeverSent(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Script: []wstest.Rule{{Conn: 1, AfterReceived: 1, Do: wstest.Drop()}}})
	dead := make(chan client.DeadLetter, 1)
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{
		URL:          srv.URL(),
		Delivery:     client.AtLeastOnce,
		Backoff:      backoff.NewConstantBackOff(time.Second),
		OnDeadLetter: func(d client.DeadLetter) { dead <- d },
	})
	require.NoError(t, c.WaitConnected(ctx))
	_, err := c.SendMessage(ctx, client.Message{Type: transport.MessageText, Payload: []byte("order"), MaxAge: 300 * time.Millisecond})
	require.NoError(t, err)
	var d client.DeadLetter
	select {
	case d = <-dead:
	case <-ctx.Done():
		t.Fatal("never reported")
	}
	assert.Equal(t, client.ReasonExpiredUnacked, d.Reason)
	rec.waitNth(t, ctx, client.Connected, 2)
	require.NoError(t, c.Flush(ctx))
	require.NoError(t, c.Close())
	assert.Len(t, srv.Received(), 1, "written once, never again")
	assert.Empty(t, srv.ReceivedOn(2))
}
