package client_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestDoneAndErr: a program can wait on Done for the session's end and
// read why from Err, without Close and without OnStateChange.
func TestDoneAndErr(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Refuse(http.StatusNotFound, nil)})
	c := start(t, ctx, nil, client.Options{URL: srv.URL()})
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("a 404 session never ended")
	}
	err := c.Err()
	require.ErrorIs(t, err, client.ErrFailed)
	var he *transport.HandshakeError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusNotFound, he.StatusCode)
	assert.Equal(t, client.Failed, c.State())

	live := start(t, ctx, nil, client.Options{URL: wstest.Start(t, wstest.Options{}).URL()})
	require.NoError(t, live.Err(), "a live session has no error")
	require.NoError(t, live.Close())
	<-live.Done()
	require.ErrorIs(t, live.Err(), client.ErrClosed)
}

// TestFlushOnFailedSessionReturnsTheFailure: Flush does not report success
// for a session that failed, even with the queue empty.
func TestFlushOnFailedSessionReturnsTheFailure(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Refuse(http.StatusForbidden, nil)})
	c := start(t, ctx, nil, client.Options{URL: srv.URL(), OnDeadLetter: func(client.DeadLetter) {}})
	_, err := c.Send(ctx, transport.MessageText, []byte("x"))
	require.NoError(t, err)
	<-c.Done()
	require.ErrorIs(t, c.Flush(ctx), client.ErrFailed)
}

// TestFailedChangeCarriesAttempt: the change to Failed says how many
// attempts failed since the last connection, and the failure is logged
// once, at error level.
func TestFailedChangeCarriesAttempt(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Refuse(http.StatusUnauthorized, nil)})
	logs := &logCapture{}
	rec := newRecorder()
	start(t, ctx, rec, client.Options{URL: srv.URL(), Backoff: fastBackoff(), Logger: slog.New(logs)})
	ch := rec.waitState(t, ctx, client.Failed)
	assert.Equal(t, 2, ch.Attempt, "the first 401 and its one fresh-token retry")
	failures := 0
	for _, r := range logs.records() {
		if r.Level >= slog.LevelWarn && strings.Contains(r.Message, "state") {
			failures++
		}
	}
	assert.Equal(t, 1, failures, "logged once")
}

// TestOnConnectOverrunIsAFailure: a hook that ignores its context and
// returns nil after its timeout did not connect: no Connected, and the
// cause names the timeout.
func TestOnConnectOverrunIsAFailure(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	rec := newRecorder()
	overran := make(chan struct{}, 1)
	start(t, ctx, rec, client.Options{
		URL:              srv.URL(),
		Backoff:          fastBackoff(),
		OnConnectTimeout: 20 * time.Millisecond,
		OnConnect: func(hookCtx context.Context, _ *transport.Conn) error {
			select {
			case overran <- struct{}{}:
				<-hookCtx.Done() // overrun, then pretend all is well
			default:
			}
			return nil
		},
	})
	ch := rec.waitState(t, ctx, client.Reconnecting)
	require.ErrorIs(t, ch.Cause, client.ErrOnConnectTimeout)
	var oe *client.OnConnectError
	require.ErrorAs(t, ch.Cause, &oe)
	assert.NoError(t, oe.Returned)
	changes := rec.waitState(t, ctx, client.Connected)
	assert.Equal(t, uint64(1), changes.Conn, "the overrun attempt never counted as a connection")
	assert.Less(t, indexOf(rec.snapshot(), client.Reconnecting, 1), indexOf(rec.snapshot(), client.Connected, 1))
}

// TestCloseCountsEveryUndelivered: without OnDeadLetter, Close's error
// counts every message the session failed to deliver, by reason, not only
// those still queued at Close.
func TestCloseCountsEveryUndelivered(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	srv.StallHandshakes()
	c := start(t, ctx, nil, client.Options{
		URL:          srv.URL(),
		QueueOptions: queue.Options{MaxMessages: 3, Overflow: queue.DropNewest},
	})
	_, err := c.SendMessage(ctx, client.Message{Type: transport.MessageText, Payload: []byte("old"), MaxAge: time.Millisecond})
	require.NoError(t, err)
	waitStats(t, ctx, c, func(s client.Stats) bool { return s.Expired == 1 })
	for range 3 {
		_, err := c.Send(ctx, transport.MessageText, []byte("kept"))
		require.NoError(t, err)
	}
	_, err = c.Send(ctx, transport.MessageText, []byte("over"))
	require.ErrorIs(t, err, queue.ErrDropped)
	// When the expiry's report is still being delivered, the queue leaves
	// this drop's to that goroutine and Send returns first
	// (queue/report.go); Close counts it all the same, since the queue's
	// Close waits for reports under way.
	err = c.Close()
	require.ErrorIs(t, err, client.ErrUndelivered)
	var ue *client.UndeliveredError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, uint64(5), ue.Total)
	assert.Equal(t, uint64(1), ue.Counts[client.ReasonExpired])
	assert.Equal(t, uint64(1), ue.Counts[client.ReasonOverflow])
	assert.Equal(t, uint64(3), ue.Counts[client.ReasonClosed])
	assert.Contains(t, err.Error(), "5 messages undelivered")
}

// TestCloseWithNothingLostReturnsNil: the counts are of what was lost, so a
// session that delivered everything closes cleanly.
func TestCloseWithNothingLostReturnsNil(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	c := start(t, ctx, nil, client.Options{URL: srv.URL()})
	_, err := c.Send(ctx, transport.MessageText, []byte("x"))
	require.NoError(t, err)
	require.NoError(t, c.Flush(ctx))
	require.NoError(t, c.Close())
}

// TestDeadLettersSummarisedInLog: a flood of dead letters writes a line
// for the first and a summary for the rest, not a line each.
func TestDeadLettersSummarisedInLog(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	srv.StallHandshakes()
	logs := &logCapture{}
	c := start(t, ctx, nil, client.Options{
		URL: srv.URL(), Logger: slog.New(logs), OnDeadLetter: func(client.DeadLetter) {},
		QueueOptions: queue.Options{MaxMessages: 1, Overflow: queue.DropNewest},
	})
	for range 500 {
		_, _ = c.Send(ctx, transport.MessageText, []byte("x"))
	}
	require.NoError(t, c.Close())
	lines, summary := 0, ""
	for _, r := range logs.records() {
		switch r.Message {
		case "message not delivered":
			lines++
		case "messages not delivered":
			r.Attrs(func(a slog.Attr) bool { summary += a.Value.String(); return true })
		}
	}
	assert.LessOrEqual(t, lines, 3, "one line a window, not one a message")
	assert.Contains(t, summary, "Overflow=")
}

// TestCallbackPanicsFailTheSession: a panic in any callback the Client
// runs on its own goroutines is contained and fails the session with a
// *PanicError naming the callback; the process lives on.
func TestCallbackPanicsFailTheSession(t *testing.T) {
	boom := errors.New("boom")
	cases := map[string]func(o *client.Options, srv *wstest.Server){
		"OnConnect": func(o *client.Options, _ *wstest.Server) {
			o.OnConnect = func(context.Context, *transport.Conn) error { panic(boom) }
		},
		"Endpoint": func(o *client.Options, srv *wstest.Server) {
			o.URL = ""
			o.Endpoint = func(context.Context) (string, http.Header, error) { panic(boom) }
		},
		"OnStateChange": func(o *client.Options, _ *wstest.Server) {
			o.OnStateChange = func(ch client.StateChange) {
				if ch.To == client.Connected {
					panic(boom)
				}
			}
		},
		"AckExtractor": func(o *client.Options, srv *wstest.Server) {
			o.AckExtractor = func(transport.MessageType, []byte) (uint64, bool) { panic(boom) }
		},
		"OnDeadLetter": func(o *client.Options, _ *wstest.Server) {
			o.MaxAge = time.Nanosecond
			o.OnDeadLetter = func(client.DeadLetter) { panic(boom) }
		},
		"ShouldReconnect": func(o *client.Options, srv *wstest.Server) {
			o.ShouldReconnect = func(error) bool { panic(boom) }
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
			o := client.Options{URL: srv.URL(), Backoff: fastBackoff()}
			setup(&o, srv)
			if name == "ShouldReconnect" {
				o.URL = "ws://127.0.0.1:1/unreachable"
			}
			c, err := client.Start(ctx, o)
			require.NoError(t, err)
			_, err = c.Send(ctx, transport.MessageText, []byte("x"))
			if err != nil {
				require.ErrorIs(t, err, client.ErrFailed)
			}
			select {
			case <-c.Done():
			case <-ctx.Done():
				t.Fatal("the session outlived the panic")
			}
			err = c.Err()
			require.ErrorIs(t, err, client.ErrFailed)
			var pe *client.PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, name, pe.Callback)
			assert.ErrorIs(t, err, boom)
			assert.NotEmpty(t, pe.Stack)
			_ = c.Close()
		})
	}
}

// TestStampPutsTheSequenceNumberInThePayload: concurrent senders stamp
// each message with its sequence number as it is queued; a server that
// acknowledges the number it finds in the payload is matched exactly,
// with no prediction by the program.
func TestStampPutsTheSequenceNumberInThePayload(t *testing.T) {
	ctx := testCtx(t)
	ack := func(m wstest.Message) []byte { return append([]byte("ack"), m.Data[len(m.Data)-8:]...) }
	srv := wstest.Start(t, wstest.Options{Default: wstest.Sink(ack)})
	c := start(t, ctx, nil, client.Options{URL: srv.URL(), Delivery: client.AtLeastOnce, AckExtractor: parseAck})
	const senders, each = 8, 200
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				p := append([]byte(fmt.Sprintf("sender %d message %d seq=", g, i)), make([]byte, 8)...)
				seq, err := c.SendMessage(ctx, client.Message{
					Type: transport.MessageBinary, Payload: p,
					Stamp: func(seq uint64, p []byte) { binary.BigEndian.PutUint64(p[len(p)-8:], seq) },
				})
				assert.NoError(t, err)
				assert.NotZero(t, seq)
			}
		}()
	}
	wg.Wait()
	require.NoError(t, c.Flush(ctx), "every message acknowledged by the number it carries")
	got := srv.Received()
	require.Len(t, got, senders*each)
	for i, m := range got {
		require.Equal(t, uint64(i+1), binary.BigEndian.Uint64(m.Data[len(m.Data)-8:]), "in queue order, each with its own number")
	}
}

// TestStampPanicReachesTheSender: a panicking Stamp panics in SendMessage,
// on the sender's goroutine, and leaves the queue usable.
func TestStampPanicReachesTheSender(t *testing.T) {
	ctx := testCtx(t)
	c := start(t, ctx, nil, client.Options{URL: wstest.Start(t, wstest.Options{}).URL()})
	require.PanicsWithValue(t, "bad stamp", func() {
		_, _ = c.SendMessage(ctx, client.Message{Type: transport.MessageBinary, Payload: []byte("x"),
			Stamp: func(uint64, []byte) { panic("bad stamp") }})
	})
	_, err := c.Send(ctx, transport.MessageBinary, []byte("after"))
	require.NoError(t, err)
	require.NoError(t, c.Flush(ctx))
}

// TestStampPanicCountsTheQueuedMessage: the message whose Stamp panicked
// stays queued and is sent, so Stats counts it as queued too; Queued
// never falls below Sent.
func TestStampPanicCountsTheQueuedMessage(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	c := start(t, ctx, nil, client.Options{URL: srv.URL()})
	require.Panics(t, func() {
		_, _ = c.SendMessage(ctx, client.Message{Type: transport.MessageBinary, Payload: []byte("x"),
			Stamp: func(uint64, []byte) { panic("bad stamp") }})
	})
	_, err := c.Send(ctx, transport.MessageBinary, []byte("after"))
	require.NoError(t, err)
	require.NoError(t, c.Flush(ctx))
	st := c.Stats()
	assert.Equal(t, uint64(2), st.Sent, "the stamped message went out too")
	assert.Equal(t, st.Sent, st.Queued, "every message sent was counted as queued")
}

// TestFromContextInHooks: OnConnect and Endpoint reach their Client from
// the context they are given, so MarkHealthy needs no variable of the
// program's.
func TestFromContextInHooks(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	seen := make(chan *client.Client, 2)
	c := start(t, ctx, nil, client.Options{
		Endpoint: func(hctx context.Context) (string, http.Header, error) {
			c, ok := client.FromContext(hctx)
			if ok {
				seen <- c
			}
			return srv.URL(), nil, nil
		},
		OnConnect: func(hctx context.Context, _ *transport.Conn) error {
			c, ok := client.FromContext(hctx)
			if !ok {
				return errors.New("no Client in OnConnect's context")
			}
			c.MarkHealthy()
			seen <- c
			return nil
		},
	})
	require.NoError(t, c.WaitConnected(ctx))
	assert.Same(t, c, <-seen)
	assert.Same(t, c, <-seen)
	_, ok := client.FromContext(ctx)
	assert.False(t, ok)
}
