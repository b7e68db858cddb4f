package transport

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The read side's half of TestCancelledWriteLeavesTheConnection: a read
// whose context is done before a message begins returns the context's
// error and leaves the connection usable, with nothing waiting and with a
// message waiting (which it may then return or leave for the next read).
func TestCancelledReadLeavesTheConnection(t *testing.T) {
	dead, cancel := context.WithCancel(context.Background())
	cancel()
	live := context.Background()
	cc, sc := connPair(t, connConfig{}, connConfig{})
	for i := range 200 {
		_, _, err := cc.Read(dead)
		require.ErrorIs(t, err, context.Canceled, "round %d", i)
		_, _, err = cc.ReadInto(dead, nil)
		require.ErrorIs(t, err, context.Canceled)
		_, _, err = cc.Reader(dead)
		require.ErrorIs(t, err, context.Canceled)
	}
	assert.NoError(t, cc.Err())
	require.NoError(t, sc.Write(live, MessageText, []byte("x")))
	_, p, err := cc.Read(live)
	require.NoError(t, err)
	assert.Equal(t, "x", string(p))
	// With a message waiting, a done context may take it or leave it.
	require.NoError(t, sc.Write(live, MessageText, []byte("y")))
	for range 50 {
		_, p, err := cc.Read(dead)
		if err == nil {
			assert.Equal(t, "y", string(p))
			break
		}
		require.ErrorIs(t, err, context.Canceled)
	}
	assert.NoError(t, cc.Err())
}
