package transport

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A message writer whose context is cancelled after a fragment has gone
// out (or into the buffer) cannot end its message: its Close fails, and
// with it the connection, since the peer holds part of a message that
// will never be finished. It used to return the context's error and let
// the next message start inside the open one (a protocol error at the
// peer).
func TestCancelledWriterCloseMidMessage(t *testing.T) {
	live := context.Background()
	cc, sc := connPair(t, connConfig{}, connConfig{})
	ctx, cancel := context.WithCancel(live)
	mw, err := cc.Writer(ctx, MessageText)
	require.NoError(t, err)
	_, err = mw.Write([]byte("part"))
	require.NoError(t, err)
	cancel()
	require.ErrorIs(t, mw.Close(), context.Canceled)
	require.Error(t, cc.Err(), "the message cannot be finished: the connection fails")
	require.Error(t, cc.Write(live, MessageText, []byte("after")), "no message starts inside the open one")
	_, _, err = sc.Read(live)
	var ce *CloseError
	if assert.ErrorAs(t, err, &ce) {
		assert.NotEqual(t, StatusProtocolError, ce.Code, "the peer never sees a broken stream")
	}
}
