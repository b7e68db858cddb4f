package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// TestHalfOpenPeerDetected: a peer that silently stops reading and
// answering pings is declared dead by the heartbeat, after the configured
// pong timeout, dropped as 1006 and reconnected. That this happens within
// the ping interval plus the pong timeout is the heartbeat's promise,
// proven exactly on a fake clock (heartbeat's TestMonitorTimeline); here
// the real clock gives only a lower bound, since a loaded machine runs the
// timers late (1.6 s against a 1 s bound beside CPU burners).
func TestHalfOpenPeerDetected(t *testing.T) {
	ctx := testCtx(t)
	hb := heartbeat.Options{Interval: 200 * time.Millisecond, Timeout: 300 * time.Millisecond}
	srv := wstest.Start(t, wstest.Options{})
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{URL: srv.URL(), Backoff: fastBackoff(), Heartbeat: hb})
	require.NoError(t, c.WaitConnected(ctx))
	// Prove the heartbeat works while the peer is alive: an RTT is measured.
	require.Eventually(t, func() bool { return c.Stats().LastRTT > 0 }, 10*time.Second, 10*time.Millisecond)

	require.NoError(t, srv.Stall(1))
	stalled := time.Now()
	ch := rec.waitState(t, ctx, client.Reconnecting)
	took := ch.At.Sub(stalled)
	t.Logf("half-open peer detected after %v (bound %v on an idle machine)", took, hb.Interval+hb.Timeout)
	assert.GreaterOrEqual(t, took, hb.Timeout, "declared dead before the pong timeout")
	assert.Equal(t, transport.StatusAbnormalClosure, transport.CloseStatus(ch.Cause))
	var dead *heartbeat.DeadError
	require.ErrorAs(t, ch.Cause, &dead)
	assert.Equal(t, hb.Timeout, dead.Waited, "the monitor applied the configured pong timeout")
	require.NoError(t, srv.WaitAccepted(ctx, 2))
	require.NoError(t, c.WaitConnected(ctx))
	assert.Positive(t, c.Stats().LastRTT, "the last RTT outlives its connection")
}

// TestWriteStallDetected: a peer that stops reading fills the TCP window;
// the write that cannot finish within WriteTimeout drops the connection,
// which is reconnected, and nothing queued is lost.
func TestWriteStallDetected(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{
		URL:              srv.URL(),
		Backoff:          fastBackoff(),
		DisableHeartbeat: true, // only the write deadline can notice
		Delivery:         client.AtLeastOnce,
		Dial:             transport.DialOptions{WriteTimeout: 200 * time.Millisecond},
		QueueOptions:     queueBytes(512 << 20),
	})
	require.NoError(t, c.WaitConnected(ctx))
	require.NoError(t, srv.Stall(1))

	payload := make([]byte, 256<<10)
	sendCtx, stop := context.WithCancel(ctx)
	defer stop()
	sent := make(chan int, 1)
	go func() {
		n := 0
		for sendCtx.Err() == nil && c.State() == client.Connected && n < 1024 {
			if _, err := c.Send(sendCtx, transport.MessageBinary, payload); err != nil {
				break
			}
			n++
		}
		sent <- n
	}()
	ch := rec.waitFirst(t, ctx, client.Reconnecting, client.Failed)
	stop()
	n := <-sent
	require.Equal(t, client.Reconnecting, ch.To)
	t.Logf("write stalled after %d messages of %d KiB: %v", n, len(payload)>>10, ch.Cause)
	var ne interface{ Timeout() bool }
	require.True(t, errors.As(ch.Cause, &ne) && ne.Timeout(), "cause %v is not a write timeout", ch.Cause)
	require.NoError(t, c.WaitConnected(ctx))
}

// TestOnConnectTimeout: an OnConnect that waits for a reply that never
// comes is cut off after OnConnectTimeout (its read ends as the connection
// closes), and the session retries instead of hanging in Connecting.
func TestOnConnectTimeout(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	rec := newRecorder()
	calls := 0 // OnConnect runs on the supervisor, one call at a time
	c := start(t, ctx, rec, client.Options{
		URL:              srv.URL(),
		Backoff:          fastBackoff(),
		OnConnectTimeout: 50 * time.Millisecond,
		OnConnect: func(ctx context.Context, conn *transport.Conn) error {
			calls++
			if calls > 1 {
				return nil
			}
			_, _, err := conn.Read(ctx) // the server never says a word
			return err
		},
	})
	require.NoError(t, c.WaitConnected(ctx))
	changes := rec.snapshot()
	require.NotEmpty(t, changes)
	var oce *client.OnConnectError
	var failed bool
	for _, ch := range changes {
		if errors.As(ch.Cause, &oce) {
			failed = true
		}
	}
	assert.True(t, failed, "the first OnConnect's failure is reported: %v", changes)
	assert.Equal(t, 2, calls)
}

// TestOnConnectRunsFirst: on every connection, what OnConnect writes goes
// out before the replayed queue, and the queue before new sends.
func TestOnConnectRunsFirst(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Script: []wstest.Rule{{Conn: 1, AfterReceived: 3, Do: wstest.Drop()}}})
	rec := newRecorder()
	conns := 0
	c := start(t, ctx, rec, client.Options{
		URL:     srv.URL(),
		Backoff: fastBackoff(),
		OnConnect: func(ctx context.Context, conn *transport.Conn) error {
			conns++
			return conn.Write(ctx, transport.MessageText, []byte("subscribe"))
		},
	})
	// Queued before the first connection exists.
	for _, p := range []string{"a", "b", "c", "d"} {
		_, err := c.Send(ctx, transport.MessageText, []byte(p))
		require.NoError(t, err)
	}
	require.NoError(t, srv.WaitAccepted(ctx, 2))
	require.NoError(t, c.WaitConnected(ctx))
	_, err := c.Send(ctx, transport.MessageText, []byte("e"))
	require.NoError(t, err)
	require.NoError(t, srv.WaitFor(ctx, func(s wstest.Snapshot) bool {
		n := len(s.Messages)
		return n > 0 && s.Messages[n-1].Conn == 2 && string(s.Messages[n-1].Data) == "e"
	}))
	first := payloads(srv.ReceivedOn(1))
	assert.Equal(t, []string{"subscribe", "a", "b"}, first, "connection 1: OnConnect, then the queue; dropped after 3")
	second := payloads(srv.ReceivedOn(2))
	require.NotEmpty(t, second)
	assert.Equal(t, "subscribe", second[0], "OnConnect runs first on every connection")
	// At-most-once: "a" and "b" were written, so they are not replayed,
	// nor are those written when the connection dropped (reported as
	// unconfirmed); the rest follows in order, then the new send.
	assert.Subset(t, []string{"c", "d", "e"}, second[1:])
	assert.IsIncreasing(t, second[1:])
}

// payloads returns the messages' payloads as strings.
func payloads(ms []wstest.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.Data)
	}
	return out
}

// pingCounter is a heartbeat clock on real time that signals every ping
// the monitor sends: each arms the send deadline, made with AfterFunc for
// the first ping and reset for every later one.
type pingCounter struct{ pings chan struct{} }

func (p pingCounter) Now() time.Time { return time.Now() }
func (p pingCounter) NewTimer(d time.Duration) heartbeat.Timer {
	return realTimer{t: time.NewTimer(d)}
}
func (p pingCounter) AfterFunc(d time.Duration, f func()) heartbeat.Timer {
	p.signal()
	return realTimer{t: time.AfterFunc(d, f), onReset: p.signal}
}

func (p pingCounter) signal() {
	select {
	case p.pings <- struct{}{}:
	default:
	}
}

type realTimer struct {
	t       *time.Timer
	onReset func()
}

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool {
	if r.onReset != nil {
		r.onReset()
	}
	return r.t.Reset(d)
}

// TestSlowReaderIsNotADeadPeer: an application that stops calling Read
// fills the inbound buffer and holds the reader up, so pongs go unread.
// That must not pass for a dead peer: the connection survives many pong
// timeouts and the stream resumes where it stopped.
func TestSlowReaderIsNotADeadPeer(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Stream(wstest.StreamOptions{})})
	pings := pingCounter{pings: make(chan struct{}, 1)}
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{
		URL: srv.URL(), InboundBuffer: 1, InboundPolicy: client.InboundWait,
		Heartbeat: heartbeat.Options{Interval: 20 * time.Millisecond, Timeout: 40 * time.Millisecond, Clock: pings},
	})
	require.NoError(t, c.WaitConnected(ctx))
	// Not reading: wait until the monitor has sent many pings (each one's
	// timeout passes before the next goes out) while the reader is stuck.
	for range 20 {
		select {
		case <-pings.pings:
		case <-ctx.Done():
			t.Fatal("the monitor stopped pinging")
		}
	}
	assert.Equal(t, client.Connected, c.State(), "changes: %v", rec.snapshot())
	last := uint64(0)
	for range 100 {
		m, err := c.Read(ctx)
		require.NoError(t, err)
		seq, ok := wstest.ParseSeq(m.Payload)
		require.True(t, ok)
		require.Equal(t, last+1, seq)
		require.Equal(t, uint64(1), m.Conn)
		last = seq
	}
	assert.Equal(t, -1, indexOf(rec.snapshot(), client.Reconnecting, 1), "no reconnect")
}

// TestCloseWithStalledPeer: a peer that stopped reading holds the writer in
// a write that never completes (here with no write timeout to rescue it);
// Close still returns, after giving the writer its close timeout, and
// reports what was left. The peer stays stalled until Close has returned,
// so returning at all proves Close did not wait for the writer. No upper
// bound on the wall clock: besides its two close timeouts, Close copies
// every queued payload into a dead letter (64 MiB here), work that a loaded
// 2-core machine stretched to 15 s (issue 20).
func TestCloseWithStalledPeer(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	const closeTimeout = 200 * time.Millisecond
	var dead atomic.Int64
	c := start(t, ctx, nil, client.Options{
		URL:              srv.URL(),
		Backoff:          fastBackoff(),
		DisableHeartbeat: true,
		Delivery:         client.AtLeastOnce,
		Dial:             transport.DialOptions{WriteTimeout: -1, CloseTimeout: closeTimeout},
		QueueOptions:     queueBytes(512 << 20),
		OnDeadLetter:     func(client.DeadLetter) { dead.Add(1) },
	})
	require.NoError(t, c.WaitConnected(ctx))
	require.NoError(t, srv.Stall(1))
	// Far more than the socket buffers hold: the writer blocks.
	payload := make([]byte, 256<<10)
	const n = 256
	for range n {
		_, err := c.Send(ctx, transport.MessageBinary, payload)
		require.NoError(t, err)
	}
	closed := make(chan error, 1)
	begin := time.Now()
	go func() { closed <- c.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-ctx.Done():
		require.FailNow(t, "Close is stuck behind a stalled writer")
	}
	took := time.Since(begin)
	t.Logf("Close took %v", took)
	require.GreaterOrEqual(t, took, closeTimeout, "Close gives the writer its close timeout before dropping the socket")
	require.Equal(t, int64(n), dead.Load(), "every unacknowledged message is reported")
}

// TestAnyFrameCountsServerPings: in AnyFrame mode, a server that never
// answers the client's pings but pings the client itself is alive, and
// its pings (which the transport answers, and the application never sees)
// must count as frames received.
func TestAnyFrameCountsServerPings(t *testing.T) {
	ctx := testCtx(t)
	const every, pings = 25 * time.Millisecond, 60 // 1.5 s of pings, three times the timeout
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// It never reads, so it never answers a ping.
		sc, err := transport.Accept(w, r, &transport.AcceptOptions{NoIdleReads: true, CloseTimeout: 100 * time.Millisecond})
		if err != nil {
			return
		}
		defer sc.CloseNow()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for range pings {
			<-tick.C
			if sc.Ping(ctx, []byte("server")) != nil {
				return
			}
		}
		close(done)
		<-ctx.Done()
	}))
	defer srv.Close()
	dead := make(chan client.StateChange, 1)
	c := start(t, ctx, nil, client.Options{
		OnStateChange: func(ch client.StateChange) {
			if ch.To == client.Reconnecting {
				select {
				case dead <- ch:
				default:
				}
			}
		},
		URL:       "ws" + strings.TrimPrefix(srv.URL, "http"),
		Backoff:   fastBackoff(),
		Heartbeat: heartbeat.Options{Interval: 100 * time.Millisecond, Timeout: 500 * time.Millisecond, Mode: heartbeat.AnyFrame},
		Dial:      transport.DialOptions{CloseTimeout: 100 * time.Millisecond},
	})
	require.NoError(t, c.WaitConnected(ctx))
	select {
	case <-done:
	case ch := <-dead:
		require.FailNow(t, "declared dead while the server pinged", "cause: %v", ch.Cause)
	case <-ctx.Done():
		require.FailNow(t, "the server never finished pinging")
	}
	require.NoError(t, c.Close())
}
