package client_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

func TestEchoRoundTrip(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	c, err := client.Start(ctx, client.Options{URL: srv.URL()})
	require.NoError(t, err)
	defer c.Close()

	require.NoError(t, c.WaitConnected(ctx))
	seq, err := c.Send(ctx, transport.MessageText, []byte("hello"))
	require.NoError(t, err)
	require.Equal(t, uint64(1), seq)
	m, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "hello", string(m.Payload))
	require.Equal(t, uint64(1), m.Conn)
	require.NoError(t, c.Close())
	require.Equal(t, client.Closed, c.State())
	require.NoError(t, srv.WaitFor(ctx, func(s wstest.Snapshot) bool { return s.Live == 0 }))
	info := srv.Snapshot().Conns[0]
	require.Equal(t, transport.StatusNormalClosure, transport.CloseStatus(info.Err), "server saw %v", info.Err)
}
