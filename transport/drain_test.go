package transport

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// writeUntilPeerGone writes to c until a write fails, which it must once
// the peer has closed its socket (its TCP resets what arrives), and returns
// that error.
func writeUntilPeerGone(t *testing.T, ctx context.Context, c *Conn) error {
	t.Helper()
	for ctx.Err() == nil {
		if err := c.Write(ctx, MessageBinary, []byte("order")); err != nil {
			return err
		}
	}
	require.FailNow(t, "writes never failed")
	return nil
}

// Messages the peer sent before it closed are delivered even when a write
// finds the peer gone before the reader has read them: the write breaks
// only the write side, and the reader drains what had arrived.
func TestWriteToGonePeerKeepsWhatArrived(t *testing.T) {
	ctx := untilTestDeadline(t)
	c, raw := rawServer(t, connConfig{closeTimeout: time.Hour})
	send(t, raw,
		frameBytes(true, 0, OpBinary, false, []byte("price 1")),
		frameBytes(true, 0, OpBinary, false, []byte("price 2")),
		frameBytes(true, 0, OpBinary, false, []byte("price 3")))
	require.NoError(t, raw.Close())

	werr := writeUntilPeerGone(t, ctx, c)
	var ce *CloseError
	require.ErrorAs(t, werr, &ce)
	require.Equal(t, StatusAbnormalClosure, ce.Code)
	require.True(t, errors.Is(werr, syscall.EPIPE) || errors.Is(werr, syscall.ECONNRESET), "write error: %v", werr)
	require.NoError(t, c.Err(), "the read side is still open")

	// Later writes fail at once with the same cause, writing nothing.
	before := c.BytesWritten()
	err := c.Write(ctx, MessageText, []byte("another"))
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, err, werr)
	require.Equal(t, before, c.BytesWritten())
	require.Error(t, c.Ping(ctx, nil))

	for _, want := range []string{"price 1", "price 2", "price 3"} {
		typ, p, err := c.Read(ctx)
		require.NoError(t, err, "reading %q", want)
		require.Equal(t, MessageBinary, typ)
		require.Equal(t, want, string(p))
	}
	_, _, err = c.Read(ctx)
	require.ErrorIs(t, err, werr, "the stream's end reports the write that found the peer gone")
	<-c.Done()
	require.Equal(t, werr, c.Err())
}

// A Conn whose write side broke and that nobody reads ends within the
// close timeout, with the write's error.
func TestWriteToGonePeerEndsWithinCloseTimeout(t *testing.T) {
	ctx := untilTestDeadline(t)
	c, raw := rawServer(t, connConfig{closeTimeout: 20 * time.Millisecond})
	send(t, raw, frameBytes(true, 0, OpText, false, []byte("unread")))
	require.NoError(t, raw.Close())
	werr := writeUntilPeerGone(t, ctx, c)
	select {
	case <-c.Done():
	case <-ctx.Done():
		require.FailNow(t, "the Conn never ended")
	}
	require.Equal(t, werr, c.Err())
}

// Close on a Conn whose write side broke sends nothing and returns once the
// read side has drained, reporting the handshake incomplete.
func TestCloseAfterWriteToGonePeer(t *testing.T) {
	ctx := untilTestDeadline(t)
	c, raw := rawServer(t, connConfig{closeTimeout: time.Hour})
	require.NoError(t, raw.Close())
	werr := writeUntilPeerGone(t, ctx, c)
	done := make(chan error, 1)
	go func() { done <- c.Close(StatusNormalClosure, "") }()
	_, _, err := c.Read(ctx)
	require.ErrorIs(t, err, werr)
	require.ErrorIs(t, <-done, ErrCloseIncomplete)
}

// The peer sent a close frame and dropped its socket; a write
// found it gone (EPIPE/ECONNRESET), so no close frame of ours ever went
// out and what we wrote was lost. The reader then reads the peer's close
// frame (closeRcvd). Close must not report the handshake complete: its
// doc says nil "proves the peer read every frame sent before the close".
func TestCloseAfterBrokenWriteIsIncomplete(t *testing.T) {
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
