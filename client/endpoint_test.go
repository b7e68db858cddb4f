package client_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// tokens is an Endpoint whose every call hands out a new bearer token, as
// a program with expiring credentials would.
type tokens struct {
	url   string
	calls atomic.Int64
}

func (tk *tokens) endpoint(context.Context) (string, http.Header, error) {
	n := tk.calls.Add(1)
	return tk.url + fmt.Sprintf("?sig=s%d", n), http.Header{"Authorization": {fmt.Sprintf("Bearer t%d", n)}}, nil
}

// TestEndpointRefreshesTokenOnEveryReconnect: each handshake carries the
// header and URL the Endpoint returned just before it.
func TestEndpointRefreshesTokenOnEveryReconnect(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Script: []wstest.Rule{
		{Conn: 1, Do: wstest.Drop()},
		{Conn: 2, Do: wstest.CloseWith(transport.StatusServiceRestart, "restart")},
	}})
	tk := &tokens{url: srv.URL()}
	rec := newRecorder()
	start(t, ctx, rec, client.Options{Endpoint: tk.endpoint, Backoff: fastBackoff()})
	rec.waitNth(t, ctx, client.Connected, 3)
	hs := srv.Snapshot().Handshakes
	require.Len(t, hs, 3)
	for i, h := range hs {
		assert.Equal(t, fmt.Sprintf("Bearer t%d", i+1), h.Header.Get("Authorization"), "handshake %d", i+1)
	}
}

// TestUnauthorizedRefreshesOnce: a 401 gets one immediate retry with a
// fresh token; the fresh one is accepted, and the session goes on.
func TestUnauthorizedRefreshesOnce(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Authorize(func(r *http.Request) bool {
		return r.Header.Get("Authorization") != "Bearer t1" // t1 has expired
	})})
	tk := &tokens{url: srv.URL()}
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{Endpoint: tk.endpoint, Backoff: fastBackoff()})
	require.NoError(t, c.WaitConnected(ctx))
	ch := rec.waitState(t, ctx, client.Reconnecting)
	assert.Zero(t, ch.Delay, "the retry with fresh credentials goes at once")
	var he *transport.HandshakeError
	require.ErrorAs(t, ch.Cause, &he)
	assert.Equal(t, http.StatusUnauthorized, he.StatusCode)
	assert.NotContains(t, ch.Cause.Error(), "t1", "credentials must not appear in errors")
	assert.NotContains(t, ch.Cause.Error(), "sig=", "query tokens must not appear in errors")
	assert.Equal(t, int64(2), tk.calls.Load())
}

// TestUnauthorizedTwiceFails: when the fresh token is refused too, the
// session fails with the typed handshake error, whose text holds no secret.
func TestUnauthorizedTwiceFails(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Refuse(http.StatusUnauthorized, nil)})
	tk := &tokens{url: srv.URL()}
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{Endpoint: tk.endpoint, Backoff: fastBackoff()})
	err := c.WaitConnected(ctx)
	require.ErrorIs(t, err, client.ErrFailed)
	var he *transport.HandshakeError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusUnauthorized, he.StatusCode)
	assert.Equal(t, int64(2), tk.calls.Load())
	assert.False(t, strings.Contains(err.Error(), "Bearer"), "error %q leaks a credential", err)
}
