package client_test

import (
	"net"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// TestSendAllocatesNothing: once the queue is warm, Send and the
// acknowledgement (AtLeastOnce) that frees its block allocate nothing (a message
// without a Stamp pays nothing for what Stamp needs). The Client waits
// out a long backoff with no server, so no writer runs beside the count.
func TestSendAllocatesNothing(t *testing.T) {
	ctx := testCtx(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "ws://" + ln.Addr().String()
	require.NoError(t, ln.Close()) // every dial is refused
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{URL: url, Delivery: client.AtLeastOnce, Backoff: backoff.NewConstantBackOff(time.Hour)})
	rec.waitState(t, ctx, client.Reconnecting) // the first attempt failed; the next is an hour off
	payload := make([]byte, 64)
	send := func() {
		seq, err := c.Send(ctx, transport.MessageBinary, payload)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AckThrough(seq); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		send()
	}
	assert.Zero(t, testing.AllocsPerRun(1000, send))
}
