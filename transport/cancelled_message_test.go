package transport

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cancelAfter is a context whose cancellation lands after its first n
// looks at Err: a write that got its turn with it live and finds it done
// at the frame, as one cancelled by another goroutine at that moment
// does.
type cancelAfter struct {
	context.Context
	mu   sync.Mutex
	n    int
	done chan struct{}
}

func newCancelAfter(n int) *cancelAfter {
	return &cancelAfter{Context: context.Background(), n: n, done: make(chan struct{})}
}

func (c *cancelAfter) Done() <-chan struct{} { return c.done }

func (c *cancelAfter) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n > 0 {
		c.n--
		return nil
	}
	select {
	case <-c.done:
	default:
		close(c.done)
	}
	return context.Canceled
}

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

// A compressed message whose write fails with nothing of it sent leaves
// the compressor as it was for the peer: the next message must not refer
// back to bytes the peer never received (context takeover). The data was
// compressed before the frame's turn came, and a cancellation then left
// it in the compressor's window, so the next message arrived corrupt.
func TestCancelledCompressedWriteLeavesTheContext(t *testing.T) {
	msg := jsonMessage(1, 4000)
	for _, tc := range []struct {
		name string
		call func(c *Conn) error
	}{
		{"Write", func(c *Conn) error {
			// Its turn (acquireTurn) looks once; the frame finds it done.
			return c.Write(newCancelAfter(1), MessageText, msg)
		}},
		{"Writer", func(c *Conn) error {
			mw, err := c.Writer(newCancelAfter(1), MessageText)
			require.NoError(t, err)
			_, werr := mw.Write(msg)
			if err := mw.Close(); werr == nil {
				werr = err
			}
			return werr
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc, _ := deflatePair(t, &CompressionOptions{}, &CompressionOptions{})
			require.ErrorIs(t, tc.call(cc), context.Canceled)
			require.NoError(t, cc.Err(), "nothing of it was written: the connection goes on")
			exchange(t, cc, sc, MessageText, [][]byte{msg, jsonMessage(2, 4000)})
		})
	}
}
