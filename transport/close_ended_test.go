package transport

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Close made after the connection ended without a close frame of ours
// (CloseNow, here) cannot complete the handshake: its error says so, as
// Close promises, and still wraps why the connection ended.
func TestCloseAfterCloseNowIsIncomplete(t *testing.T) {
	cc, _ := connPair(t, connConfig{}, connConfig{})
	require.NoError(t, cc.CloseNow())
	err := cc.Close(StatusNormalClosure, "")
	assert.ErrorIs(t, err, ErrCloseIncomplete)
	assert.ErrorIs(t, err, ErrClosed)
}
