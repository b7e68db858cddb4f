package client_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestCompressedSessionAcrossReconnects: with permessage-deflate on, every
// connection negotiates it again, and messages round-trip intact on both
// sides of a reconnect (the compression contexts start afresh).
func TestCompressedSessionAcrossReconnects(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{
		Default:     wstest.Echo(),
		Compression: &transport.CompressionOptions{},
		Script:      []wstest.Rule{{Conn: 1, AfterReceived: 3, Do: wstest.Drop()}},
	})
	negotiated := make(chan bool, 4)
	c := start(t, ctx, nil, client.Options{
		URL:      srv.URL(),
		Backoff:  fastBackoff(),
		Delivery: client.AtLeastOnce,
		Dial:     transport.DialOptions{Compression: &transport.CompressionOptions{}},
		OnConnect: func(_ context.Context, conn *transport.Conn) error {
			_, ok := conn.Compression()
			negotiated <- ok
			return nil
		},
	})
	msg := func(i int) []byte {
		return bytes.Repeat([]byte(fmt.Sprintf(`{"seq":%d,"price":101.25,"side":"buy"}`, i)), 40)
	}
	for i := 1; i <= 6; i++ {
		seq, err := c.Send(ctx, transport.MessageText, msg(i))
		require.NoError(t, err)
		if i <= 3 {
			// Echoes acknowledge: the first three are done before the drop.
			m, err := c.Read(ctx)
			require.NoError(t, err)
			require.Equal(t, msg(i), m.Payload)
			require.NoError(t, c.Ack(seq))
		}
	}
	require.NoError(t, srv.WaitAccepted(ctx, 2))
	for i := 4; i <= 6; i++ {
		m, err := c.Read(ctx)
		require.NoError(t, err)
		if m.Conn == 1 {
			i-- // an echo that made it out before the drop
			continue
		}
		assert.Equal(t, msg(i), m.Payload)
		require.NoError(t, c.AckThrough(uint64(i)))
	}
	assert.True(t, <-negotiated, "first connection compressed")
	assert.True(t, <-negotiated, "second connection compressed")
}
