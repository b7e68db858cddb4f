package client_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/wstest"
)

// TestReadAcrossReconnects: Read keeps returning messages after the
// connection is replaced, and each tells which connection it came on, so
// the application sees where its stream restarted.
func TestReadAcrossReconnects(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{
		Default: wstest.Stream(wstest.StreamOptions{Count: 5}),
		Script:  []wstest.Rule{{Conn: 1, AfterSent: 5, Do: wstest.Drop()}},
	})
	c := start(t, ctx, nil, client.Options{URL: srv.URL(), Backoff: fastBackoff()})
	want := uint64(1) // the stream numbers messages across connections
	for conn := uint64(1); conn <= 2; conn++ {
		for range 5 {
			m, err := c.Read(ctx)
			require.NoError(t, err)
			seq, ok := wstest.ParseSeq(m.Payload)
			require.True(t, ok, "payload %q", m.Payload)
			assert.Equal(t, want, seq)
			assert.Equal(t, conn, m.Conn)
			want++
		}
	}
	assert.Equal(t, uint64(10), c.Stats().Received)
	assert.Equal(t, uint64(1), c.Stats().Reconnects)
}

// TestSlowCallbackStallsNothing: callbacks run on their own goroutine, so
// one that blocks does not hold up reading, writing or reconnecting; the
// changes it missed arrive later, in order.
func TestSlowCallbackStallsNothing(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{
		Default: wstest.Echo(),
		Script:  []wstest.Rule{{Conn: 1, AfterReceived: 1, Do: wstest.Drop()}},
	})
	release := make(chan struct{})
	rec := newRecorder()
	c := start(t, ctx, nil, client.Options{
		URL:     srv.URL(),
		Backoff: fastBackoff(),
		OnStateChange: func(ch client.StateChange) {
			<-release // blocks the first callback until the session has moved on
			rec.record(ch)
		},
	})
	_, err := c.Send(ctx, 1, []byte("one")) // dropped with connection 1 after the server reads it
	require.NoError(t, err)
	require.NoError(t, srv.WaitAccepted(ctx, 2))
	require.NoError(t, c.WaitConnected(ctx))
	_, err = c.Send(ctx, 1, []byte("two"))
	require.NoError(t, err)
	m, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "two", string(m.Payload))
	assert.Equal(t, uint64(2), m.Conn)
	close(release)
	changes := rec.waitFor(t, ctx, func(cs []client.StateChange) bool { return indexOf(cs, client.Connected, 2) >= 0 })
	var path []client.State
	for _, ch := range changes {
		path = append(path, ch.To)
	}
	assert.Equal(t, []client.State{client.Connected, client.Reconnecting, client.Connecting, client.Connected}, path[:4])
}
