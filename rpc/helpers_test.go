package rpc

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
)

// testCtx bounds a test that hangs (a bug), never its normal pace.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial starts a Client on f with quick reconnects; opts.Client.URL is set.
func dial(t *testing.T, f *feedServer, opts Options) *Client {
	t.Helper()
	opts.Client.URL = f.URL()
	if opts.Client.Backoff == nil {
		opts.Client.Backoff = backoff.NewConstantBackOff(5 * time.Millisecond)
	}
	c, err := Start(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.WaitConnected(testCtx(t)))
	return c
}

// number decodes the {"n":…} events of feedServer.
func number(t *testing.T, ev json.RawMessage) int {
	t.Helper()
	var e struct{ N int }
	require.NoError(t, json.Unmarshal(ev, &e), "event %s", ev)
	return e.N
}

// waitState waits for the session to reach state s.
func waitConnected(t *testing.T, c *Client) {
	t.Helper()
	require.NoError(t, c.WaitConnected(testCtx(t)))
}

var _ = client.Connected
