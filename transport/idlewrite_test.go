package transport

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPingsAloneMakeNoWriteBuffer: a connection whose only writes are
// pings and pongs (an idle one, heartbeat on) never makes its 4 KiB write
// buffer, on either side, and the frames are still well formed: every
// ping is answered with its payload. A data write afterwards makes the
// buffer and mixes with control frames as before.
func TestPingsAloneMakeNoWriteBuffer(t *testing.T) {
	pong := make(chan []byte, 1)
	cc, sc := connPair(t, connConfig{onPong: func(p []byte) { pong <- bytes.Clone(p) }}, connConfig{})
	ctx := context.Background()
	got := make(chan []byte, 1)
	go func() { // answers pings, then reads the data message
		_, p, err := sc.Read(ctx)
		if err == nil {
			got <- p
		}
	}()
	go func() { _, _, _ = cc.Read(ctx) }() // sees pongs
	for i := range 50 {
		p := []byte{byte(i), 'p', 'i', 'n', 'g'}
		require.NoError(t, cc.Ping(ctx, p))
		assert.Equal(t, p, <-pong)
	}
	full := bytes.Repeat([]byte{7}, MaxControlPayload)
	require.NoError(t, cc.Ping(ctx, full))
	assert.Equal(t, full, <-pong)
	assert.Nil(t, cc.wr.buf, "client write buffer")
	assert.Nil(t, sc.wr.buf, "server write buffer")
	require.NoError(t, cc.Write(ctx, MessageBinary, []byte("data")))
	assert.Equal(t, "data", string(<-got))
	assert.NotNil(t, cc.wr.buf)
}
