package client_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// sendOnly sends n messages through a server that echoes each one, never
// calling Read, and returns once Flush has seen every message confirmed.
func sendOnly(t *testing.T, ctx context.Context, c *client.Client, n int) {
	t.Helper()
	for i := range n {
		_, err := c.Send(ctx, transport.MessageBinary, make([]byte, 64+i%512))
		require.NoError(t, err)
	}
	require.NoError(t, c.Flush(ctx), "confirmations must keep flowing while the program does not read")
}

// TestSendOnlyProgramKeepsFlowing: a program that never reads, talking to a
// server that replies to everything, must not stall its own sending: with
// the default policy the oldest unread replies are discarded and counted,
// and the inbox stays within its bounds.
func TestSendOnlyProgramKeepsFlowing(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	c := start(t, ctx, nil, client.Options{URL: srv.URL(), InboundBuffer: 16})
	const n = 3000
	sendOnly(t, ctx, c, n)
	s := c.Stats()
	assert.LessOrEqual(t, s.InboundDepth, 16)
	assert.Positive(t, s.InboundDropped)
	assert.Equal(t, uint64(n), uint64(s.InboundDepth)+s.InboundDropped, "every echo is held or counted")
	assert.False(t, s.ReaderStalled)
	assert.Equal(t, uint64(0), s.Reconnects)
}

// TestInboundDiscard: a program that says it does not read has every
// inbound message counted and discarded; nothing is held.
func TestInboundDiscard(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	c := start(t, ctx, nil, client.Options{URL: srv.URL(), InboundPolicy: client.InboundDiscard})
	const n = 1000
	sendOnly(t, ctx, c, n)
	s := c.Stats()
	assert.Zero(t, s.InboundDepth)
	assert.Equal(t, uint64(n), s.InboundDropped)
}

// TestInboundDropNewestKeepsTheOldest: the first messages stay, later ones
// are counted as dropped.
func TestInboundDropNewestKeepsTheOldest(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Stream(wstest.StreamOptions{Count: 200})})
	c := start(t, ctx, nil, client.Options{URL: srv.URL(), InboundBuffer: 8, InboundPolicy: client.InboundDropNewest})
	waitStats(t, ctx, c, func(s client.Stats) bool { return s.InboundDropped == 192 })
	for want := uint64(1); want <= 8; want++ {
		m, err := c.Read(ctx)
		require.NoError(t, err)
		seq, ok := wstest.ParseSeq(m.Payload)
		require.True(t, ok)
		require.Equal(t, want, seq)
	}
}

// TestInboundBytesBound: the inbox holds no more payload bytes than
// InboundMaxBytes, whatever the message count allows, but a single larger
// message is still delivered.
func TestInboundBytesBound(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	c := start(t, ctx, nil, client.Options{URL: srv.URL(), InboundMaxBytes: 10_000})
	for range 50 {
		_, err := c.Send(ctx, transport.MessageBinary, make([]byte, 1000))
		require.NoError(t, err)
	}
	require.NoError(t, c.Flush(ctx))
	waitStats(t, ctx, c, func(s client.Stats) bool { return uint64(s.InboundDepth)+s.InboundDropped == 50 })
	s := c.Stats()
	assert.LessOrEqual(t, s.InboundBytes, int64(10_000))
	assert.Equal(t, 10, s.InboundDepth)
	for range 10 {
		_, err := c.Read(ctx)
		require.NoError(t, err)
	}
	_, err := c.Send(ctx, transport.MessageBinary, make([]byte, 50_000))
	require.NoError(t, err)
	m, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Len(t, m.Payload, 50_000)
}

// TestStalledReaderIsVisible: under InboundWait a program that stops
// reading shows in Stats and in the log, and nothing is discarded.
func TestStalledReaderIsVisible(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Stream(wstest.StreamOptions{Count: 100})})
	logs := &logCapture{}
	c := start(t, ctx, nil, client.Options{
		URL: srv.URL(), InboundBuffer: 4, InboundPolicy: client.InboundWait,
		Logger: slog.New(logs),
	})
	waitStats(t, ctx, c, func(s client.Stats) bool { return s.ReaderStalled })
	assert.Contains(t, logs.messages(), "program not reading: reader waits, heartbeat paused")
	for want := uint64(1); want <= 100; want++ {
		m, err := c.Read(ctx)
		require.NoError(t, err)
		seq, _ := wstest.ParseSeq(m.Payload)
		require.Equal(t, want, seq)
	}
	s := c.Stats()
	assert.False(t, s.ReaderStalled)
	assert.Zero(t, s.InboundDropped)
}

// waitStats waits, polling, until cond holds for the Client's Stats.
func waitStats(t *testing.T, ctx context.Context, c *client.Client, cond func(client.Stats) bool) {
	t.Helper()
	for !cond(c.Stats()) {
		select {
		case <-ctx.Done():
			require.FailNow(t, "stats never reached the condition", "%+v", c.Stats())
		case <-yield():
		}
	}
}

// logCapture is a slog.Handler that keeps every record.
type logCapture struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCapture) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.recs = append(l.recs, r.Clone())
	l.mu.Unlock()
	return nil
}
func (l *logCapture) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCapture) WithGroup(string) slog.Handler      { return l }

func (l *logCapture) records() []slog.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]slog.Record(nil), l.recs...)
}

func (l *logCapture) messages() []string {
	var msgs []string
	for _, r := range l.records() {
		msgs = append(msgs, r.Message)
	}
	return msgs
}

// yield is a short pause between two looks at a condition that has no
// event of its own to wait on.
func yield() <-chan time.Time { return time.After(time.Millisecond) }
