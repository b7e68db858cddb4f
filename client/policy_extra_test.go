package client_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestBackoffExhaustedFails: a backoff that gives up (returns Stop) ends
// the session as Failed with ErrBackoffExhausted, joined with the last
// cause, after exactly the attempts it allowed.
func TestBackoffExhaustedFails(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	srv.RejectNext(100, http.StatusServiceUnavailable, nil)
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{
		URL:     srv.URL(),
		Backoff: backoff.WithMaxRetries(backoff.NewConstantBackOff(5*time.Millisecond), 2),
	})
	ch := rec.waitState(t, ctx, client.Failed)
	require.ErrorIs(t, ch.Cause, client.ErrBackoffExhausted)
	var he *transport.HandshakeError
	require.ErrorAs(t, ch.Cause, &he)
	assert.Equal(t, http.StatusServiceUnavailable, he.StatusCode)
	assert.Len(t, srv.Snapshot().Handshakes, 3, "the first attempt and two retries")
	assert.Equal(t, uint64(3), c.Stats().Attempts)
}

// TestCustomShouldReconnect: Options.ShouldReconnect replaces the default
// policy, both ways: here a 1000 close (final by default) is retried and a
// dropped connection (retried by default) is final.
func TestCustomShouldReconnect(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Script: []wstest.Rule{
		{Conn: 1, AfterReceived: 1, Do: wstest.CloseWith(transport.StatusNormalClosure, "bye")},
		{Conn: 2, AfterReceived: 1, Do: wstest.Drop()},
	}})
	var mu sync.Mutex
	var asked []error
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{
		URL:     srv.URL(),
		Backoff: fastBackoff(),
		ShouldReconnect: func(cause error) bool {
			mu.Lock()
			asked = append(asked, cause)
			mu.Unlock()
			return transport.CloseStatus(cause) == transport.StatusNormalClosure
		},
	})
	for i := range 2 {
		require.NoError(t, c.WaitConnected(ctx))
		_, err := c.Send(ctx, transport.MessageText, []byte{'0' + byte(i)})
		require.NoError(t, err)
		if i == 0 {
			rec.waitState(t, ctx, client.Reconnecting)
		}
	}
	ch := rec.waitState(t, ctx, client.Failed)
	assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(ch.Cause))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, asked, 2)
	assert.Equal(t, transport.StatusNormalClosure, transport.CloseStatus(asked[0]))
}

// TestLoggerKeepsSecrets: with a Logger, the Client logs its state changes
// and failures; a token in the URL's query and an Authorization header
// never appear in them, even when the handshake that carried them fails.
func TestLoggerKeepsSecrets(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	srv.RejectNext(1, http.StatusUnauthorized, nil)
	srv.RejectNext(1, http.StatusServiceUnavailable, nil)
	var logs syncBuffer
	const token, bearer = "tok-3f9a1c", "Bearer sekrit-77"
	c := start(t, ctx, nil, client.Options{
		Endpoint: func(context.Context) (string, http.Header, error) {
			return srv.URL() + "/feed?token=" + token, http.Header{"Authorization": {bearer}}, nil
		},
		Backoff: fastBackoff(),
		Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, c.WaitConnected(ctx))
	require.NoError(t, c.Close())
	out := logs.String()
	require.Contains(t, out, "401", "the failure is logged")
	assert.NotContains(t, out, token)
	assert.NotContains(t, out, "sekrit")
}

// syncBuffer is a bytes.Buffer safe for the Client's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Clone(s.b.String())
}

// TestStatsCountQueueAndAttempts: while the handshake is held, Stats counts
// the attempt and every queued message and its bytes; once connected and
// acknowledged, the queue is empty and the counts add up.
func TestStatsCountQueueAndAttempts(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	srv.StallHandshakes()
	c := start(t, ctx, nil, client.Options{
		URL: srv.URL(), Backoff: fastBackoff(), Delivery: client.AtLeastOnce,
		AckExtractor: func(_ transport.MessageType, p []byte) (uint64, bool) { return uint64(p[0]), true },
	})
	for i := 1; i <= 3; i++ {
		_, err := c.Send(ctx, transport.MessageBinary, []byte{byte(i), 'x', 'y'})
		require.NoError(t, err)
	}
	// The first attempt is held in its handshake: offline, all queued.
	require.NoError(t, srv.WaitHandshakes(ctx, 1))
	s := c.Stats()
	assert.Equal(t, uint64(1), s.Attempts)
	assert.Equal(t, uint64(3), s.Queued)
	assert.Equal(t, 3, s.QueueDepth)
	assert.Equal(t, int64(9), s.QueueBytes)
	assert.Zero(t, s.Connects)

	srv.ReleaseHandshakes()
	require.NoError(t, c.Flush(ctx)) // the echoes acknowledge all three
	s = c.Stats()
	assert.Equal(t, uint64(1), s.Attempts)
	assert.Equal(t, uint64(1), s.Connects)
	assert.Equal(t, uint64(3), s.Sent)
	assert.Zero(t, s.QueueDepth)
	assert.Zero(t, s.QueueBytes)
}
