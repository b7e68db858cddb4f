package transport

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// REVIEW: the peer sent a close frame and dropped its socket; a write
// found it gone (EPIPE/ECONNRESET), so no close frame of ours ever went
// out and what we wrote was lost. The reader then reads the peer's close
// frame (closeRcvd). Close must not report the handshake complete: its
// doc says nil "proves the peer read every frame sent before the close".
func TestReviewCloseAfterBrokenWriteIsIncomplete(t *testing.T) {
	ctx := untilTestDeadline(t)
	c, raw := rawServer(t, connConfig{closeTimeout: time.Hour})
	send(t, raw, frameBytes(true, 0, OpClose, false, appendClosePayload(nil, StatusGoingAway, "bye")))
	require.NoError(t, raw.Close())
	werr := writeUntilPeerGone(t, ctx, c)
	_, _, err := c.Read(ctx)
	var ce *CloseError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, StatusGoingAway, ce.Code, "the reader read the peer's close frame")
	err = c.Close(StatusNormalClosure, "")
	require.ErrorIs(t, err, ErrCloseIncomplete, "write %v was lost, and no close frame went out", werr)
}
