package client_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// observed is one call an Observer received.
type observed struct {
	method  string
	attempt client.ConnectAttempt
	state   client.StateChange
	rtt     time.Duration
	n       int // messages (MessagesSent)
	bytes   int
	typ     transport.MessageType
	reason  client.DropReason
	replay  client.Replay
}

// obsRecorder is an Observer that keeps every call, for tests to wait on.
type obsRecorder struct {
	mu      sync.Mutex
	started *client.Client
	calls   []observed
	changed chan struct{}
}

func newObsRecorder() *obsRecorder { return &obsRecorder{changed: make(chan struct{})} }

func (r *obsRecorder) add(o observed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, o)
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *obsRecorder) Started(c *client.Client) {
	r.mu.Lock()
	r.started = c
	r.mu.Unlock()
	r.add(observed{method: "Started"})
}
func (r *obsRecorder) ConnectAttempt(a client.ConnectAttempt) {
	r.add(observed{method: "ConnectAttempt", attempt: a})
}
func (r *obsRecorder) StateChanged(ch client.StateChange) {
	r.add(observed{method: "StateChanged", state: ch})
}
func (r *obsRecorder) RTT(d time.Duration) { r.add(observed{method: "RTT", rtt: d}) }
func (r *obsRecorder) MessagesSent(n, bytes int) {
	r.add(observed{method: "MessagesSent", n: n, bytes: bytes})
}
func (r *obsRecorder) MessageReceived(typ transport.MessageType, bytes int) {
	r.add(observed{method: "MessageReceived", typ: typ, bytes: bytes})
}
func (r *obsRecorder) DeadLetter(reason client.DropReason, bytes int) {
	r.add(observed{method: "DeadLetter", reason: reason, bytes: bytes})
}
func (r *obsRecorder) Replayed(rp client.Replay) { r.add(observed{method: "Replayed", replay: rp}) }

// of returns the calls of one method so far.
func (r *obsRecorder) of(method string) []observed {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []observed
	for _, o := range r.calls {
		if o.method == method {
			out = append(out, o)
		}
	}
	return out
}

// all returns every call so far.
func (r *obsRecorder) all() []observed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]observed(nil), r.calls...)
}

// waitFor waits until cond holds for the calls so far.
func (r *obsRecorder) waitFor(t *testing.T, ctx context.Context, what string, cond func([]observed) bool) []observed {
	t.Helper()
	for {
		r.mu.Lock()
		calls, ch := append([]observed(nil), r.calls...), r.changed
		r.mu.Unlock()
		if cond(calls) {
			return calls
		}
		select {
		case <-ch:
		case <-ctx.Done():
			require.FailNow(t, "observer never saw "+what, "calls: %+v", calls)
		}
	}
}

// count returns how many calls of method there are in calls.
func count(calls []observed, method string) int {
	n := 0
	for _, o := range calls {
		if o.method == method {
			n++
		}
	}
	return n
}

// TestObserverSession follows a session through connect, traffic, a drop
// with messages queued, the reconnect and its replay, an expired message
// and Close, and checks each event the Observer is told of.
func TestObserverSession(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{Default: wstest.Echo()})
	obs := newObsRecorder()
	var userDead []client.DeadLetter
	var deadMu sync.Mutex
	c := start(t, ctx, nil, client.Options{
		URL:       srv.URL(),
		Backoff:   fastBackoff(),
		Observer:  obs,
		Heartbeat: heartbeat.Options{Interval: 5 * time.Millisecond, Timeout: 10 * time.Second},
		OnDeadLetter: func(d client.DeadLetter) {
			deadMu.Lock()
			userDead = append(userDead, d)
			deadMu.Unlock()
		},
	})
	require.NoError(t, c.WaitConnected(ctx))
	calls := obs.all()
	require.Equal(t, "Started", calls[0].method, "Started comes first")
	obs.mu.Lock()
	assert.Same(t, c, obs.started)
	obs.mu.Unlock()

	a := obs.of("ConnectAttempt")
	require.Len(t, a, 1)
	att := a[0].attempt
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	assert.Equal(t, "ws", att.Scheme)
	assert.Equal(t, "127.0.0.1", att.Host)
	assert.Equal(t, port, strconv.Itoa(att.Port))
	assert.Equal(t, 1, att.Attempt)
	assert.Equal(t, uint64(1), att.Conn)
	assert.NoError(t, att.Err)
	assert.Zero(t, att.Failed)
	assert.True(t, att.Secured.IsZero(), "no TLS on ws")
	assert.False(t, att.Start.After(att.Dialing), "start %v, dialing %v", att.Start, att.Dialing)
	assert.False(t, att.Dialing.After(att.Dialed))
	assert.False(t, att.Dialed.After(att.Upgraded))
	assert.False(t, att.Upgraded.After(att.End))

	// The attempt is reported before the state change it leads to (which
	// WaitConnected may return before the Observer has been told of).
	calls = obs.waitFor(t, ctx, "Connected", func(cs []observed) bool {
		for _, o := range cs {
			if o.method == "StateChanged" && o.state.To == client.Connected {
				return true
			}
		}
		return false
	})
	iAtt, iConn := -1, -1
	for i, o := range calls {
		if o.method == "ConnectAttempt" && iAtt < 0 {
			iAtt = i
		}
		if o.method == "StateChanged" && o.state.To == client.Connected && iConn < 0 {
			iConn = i
		}
	}
	require.GreaterOrEqual(t, iConn, 0)
	assert.Less(t, iAtt, iConn)

	_, err := c.Send(ctx, transport.MessageText, []byte("hello"))
	require.NoError(t, err)
	obs.waitFor(t, ctx, "the echo", func(cs []observed) bool {
		for _, o := range cs {
			if o.method == "MessageReceived" && o.bytes == 5 && o.typ == transport.MessageText {
				return true
			}
		}
		return false
	})
	// The writer reports its flush after the fact; the echo may be first.
	obs.waitFor(t, ctx, "the flush", func(cs []observed) bool { return count(cs, "MessagesSent") == 1 })
	sent := obs.of("MessagesSent")
	require.Len(t, sent, 1)
	assert.Equal(t, observed{method: "MessagesSent", n: 1, bytes: 5}, sent[0])
	obs.waitFor(t, ctx, "an RTT sample", func(cs []observed) bool { return count(cs, "RTT") > 0 })
	for _, o := range obs.of("RTT") {
		assert.Positive(t, o.rtt)
	}
	require.NoError(t, c.Flush(ctx))

	// The server goes away; three messages wait for it, one of which
	// expires first.
	srv.StallHandshakes()
	require.Equal(t, 1, srv.DropAll())
	obs.waitFor(t, ctx, "the drop", func(cs []observed) bool {
		for _, o := range cs {
			if o.method == "StateChanged" && o.state.From == client.Connected {
				return true
			}
		}
		return false
	})
	// Expired as soon as it is queued: the queue's timer reports it while
	// the Client is still disconnected, so it is not among what waited.
	_, err = c.SendMessage(ctx, client.Message{Type: transport.MessageBinary, Payload: []byte("stale"), MaxAge: time.Nanosecond})
	require.NoError(t, err)
	for _, p := range []string{"one", "three"} {
		_, err := c.Send(ctx, transport.MessageBinary, []byte(p))
		require.NoError(t, err)
	}
	srv.ReleaseHandshakes()
	calls = obs.waitFor(t, ctx, "the replay", func(cs []observed) bool { return count(cs, "Replayed") == 1 })
	rp := obs.of("Replayed")[0].replay
	assert.Equal(t, uint64(2), rp.Conn)
	assert.Equal(t, 2, rp.Messages, "what waited; the expired message was reported at its deadline")
	assert.Equal(t, int64(len("one")+len("three")), rp.Bytes)
	assert.Positive(t, rp.Down)
	// The replay follows the second connection's first flush, which
	// carried both messages (the reader's events may come between).
	var flush observed
	for _, o := range calls {
		if o.method == "Replayed" {
			break
		}
		if o.method == "MessagesSent" {
			flush = o
		}
	}
	assert.Equal(t, observed{method: "MessagesSent", n: 2, bytes: 8}, flush)

	dead := obs.of("DeadLetter")
	require.Len(t, dead, 1)
	assert.Equal(t, client.ReasonExpired, dead[0].reason)
	assert.Equal(t, 5, dead[0].bytes)

	require.NoError(t, c.Flush(ctx))
	require.NoError(t, c.Close())
	var states []string
	for _, o := range obs.of("StateChanged") {
		states = append(states, o.state.From.String()+">"+o.state.To.String())
	}
	assert.Equal(t, []string{
		"Connecting>Connected", "Connected>Reconnecting", "Reconnecting>Connecting",
		"Connecting>Connected", "Connected>Closed",
	}, states)
	// The program's own callbacks saw the same, beside the Observer.
	deadMu.Lock()
	defer deadMu.Unlock()
	require.Len(t, userDead, 1)
	assert.Equal(t, client.ReasonExpired, userDead[0].Reason)
	assert.Equal(t, uint64(2), c.Stats().Connects)
}

// TestObserverAttemptPhases: a failed attempt names the step that failed.
func TestObserverAttemptPhases(t *testing.T) {
	refused := func(t *testing.T) string {
		// A port nothing listens on: listen, note it, close.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		return "ws://" + addr
	}
	plain := func(t *testing.T) *wstest.Server { return wstest.Start(t, wstest.Options{}) }
	errHook := errors.New("hook says no")
	tests := []struct {
		name  string
		opts  func(t *testing.T) client.Options
		want  client.Phase
		check func(t *testing.T, a client.ConnectAttempt)
	}{
		{"endpoint", func(t *testing.T) client.Options {
			return client.Options{Endpoint: func(context.Context) (string, http.Header, error) { return "", nil, errHook }}
		}, client.PhaseEndpoint, func(t *testing.T, a client.ConnectAttempt) {
			assert.ErrorIs(t, a.Err, errHook)
			assert.Empty(t, a.Host)
		}},
		{"dial", func(t *testing.T) client.Options { return client.Options{URL: refused(t)} },
			client.PhaseDial, func(t *testing.T, a client.ConnectAttempt) {
				assert.True(t, a.Dialed.IsZero())
				assert.Equal(t, "127.0.0.1", a.Host)
			}},
		{"tls against a plain server", func(t *testing.T) client.Options {
			srv := plain(t)
			return client.Options{URL: "wss://" + srv.Addr().String() + "/?token=secret"}
		}, client.PhaseTLS, func(t *testing.T, a client.ConnectAttempt) {
			assert.False(t, a.Dialed.IsZero())
			assert.True(t, a.Secured.IsZero())
			assert.Equal(t, "wss", a.Scheme)
		}},
		{"handshake refused", func(t *testing.T) client.Options {
			srv := plain(t)
			srv.RejectNext(1, http.StatusServiceUnavailable, nil)
			return client.Options{URL: srv.URL()}
		}, client.PhaseHandshake, func(t *testing.T, a client.ConnectAttempt) {
			var he *transport.HandshakeError
			require.ErrorAs(t, a.Err, &he)
			assert.Equal(t, http.StatusServiceUnavailable, he.StatusCode)
			assert.True(t, a.Upgraded.IsZero())
		}},
		{"on connect", func(t *testing.T) client.Options {
			srv := plain(t)
			return client.Options{URL: srv.URL(), OnConnect: func(context.Context, *transport.Conn) error { return errHook }}
		}, client.PhaseOnConnect, func(t *testing.T, a client.ConnectAttempt) {
			assert.ErrorIs(t, a.Err, errHook)
			assert.False(t, a.Upgraded.IsZero())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			obs := newObsRecorder()
			o := tt.opts(t)
			o.Observer, o.Backoff, o.FailFirstAttempt = obs, fastBackoff(), true
			c := start(t, ctx, nil, o)
			<-c.Done()
			a := obs.of("ConnectAttempt")
			require.Len(t, a, 1)
			assert.Equal(t, tt.want, a[0].attempt.Failed, "failed in %v", a[0].attempt.Failed)
			assert.Zero(t, a[0].attempt.Conn)
			assert.Error(t, a[0].attempt.Err)
			assert.False(t, a[0].attempt.End.Before(a[0].attempt.Start))
			tt.check(t, a[0].attempt)
		})
	}
}

// panicky panics in one method.
type panicky struct {
	client.NopObserver
	in string
}

func (p panicky) StateChanged(client.StateChange) {
	if p.in == "StateChanged" {
		panic("observer bug")
	}
}

func (p panicky) ConnectAttempt(client.ConnectAttempt) {
	if p.in == "ConnectAttempt" {
		panic("observer bug")
	}
}

func (p panicky) DeadLetter(client.DropReason, int) {
	if p.in == "DeadLetter" {
		panic("observer bug")
	}
}

// TestObserverPanicFailsSession: a panic in an Observer method not called
// per message is contained like any callback's.
func TestObserverPanicFailsSession(t *testing.T) {
	for _, in := range []string{"StateChanged", "ConnectAttempt", "DeadLetter"} {
		t.Run(in, func(t *testing.T) {
			ctx := testCtx(t)
			srv := wstest.Start(t, wstest.Options{})
			c := start(t, ctx, nil, client.Options{URL: srv.URL(), Observer: panicky{in: in}})
			// An expired message reaches DeadLetter, if nothing has
			// failed the session before.
			_, err := c.SendMessage(ctx, client.Message{Type: transport.MessageText, Payload: []byte("x"), MaxAge: time.Nanosecond})
			if err != nil {
				require.ErrorIs(t, err, client.ErrFailed)
			}
			<-c.Done()
			var pe *client.PanicError
			require.ErrorAs(t, c.Err(), &pe)
			assert.Equal(t, "Observer."+in, pe.Callback)
			assert.Equal(t, client.Failed, c.State())
		})
	}
}

// TestObserverTLSPhases: over wss the attempt marks the end of TLS between
// the dial and the upgrade, and a VerifyConnection of the program's own
// still runs.
func TestObserverTLSPhases(t *testing.T) {
	ctx := testCtx(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := transport.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		for {
			if _, _, err := conn.Read(r.Context()); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	tlsConf := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	var verified sync.WaitGroup
	verified.Add(1)
	tlsConf.VerifyConnection = func(tls.ConnectionState) error { verified.Done(); return nil }
	obs := newObsRecorder()
	c := start(t, ctx, nil, client.Options{
		URL:      "wss" + strings.TrimPrefix(srv.URL, "https") + "/path?secret=1",
		Observer: obs,
		Dial:     transport.DialOptions{TLSConfig: tlsConf},
	})
	require.NoError(t, c.WaitConnected(ctx))
	verified.Wait()
	a := obs.of("ConnectAttempt")
	require.Len(t, a, 1)
	att := a[0].attempt
	assert.Equal(t, "wss", att.Scheme)
	assert.NoError(t, att.Err)
	require.False(t, att.Secured.IsZero())
	assert.False(t, att.Dialed.After(att.Secured))
	assert.False(t, att.Secured.After(att.Upgraded))
}

// TestObserverNoReplayWhenAllExpired: when everything that waited through
// an outage expired before the server was back, there was no replay, and
// the next message sent is not reported as one.
func TestObserverNoReplayWhenAllExpired(t *testing.T) {
	ctx := testCtx(t)
	srv := wstest.Start(t, wstest.Options{})
	obs := newObsRecorder()
	rec := newRecorder()
	c := start(t, ctx, rec, client.Options{URL: srv.URL(), Backoff: fastBackoff(), Observer: obs, DisableHeartbeat: true})
	require.NoError(t, c.WaitConnected(ctx))
	srv.StallHandshakes()
	require.Equal(t, 1, srv.DropAll())
	rec.waitState(t, ctx, client.Reconnecting)
	_, err := c.SendMessage(ctx, client.Message{Type: transport.MessageBinary, Payload: []byte("stale"), MaxAge: time.Nanosecond})
	require.NoError(t, err)
	srv.ReleaseHandshakes()
	rec.waitNth(t, ctx, client.Connected, 2)
	_, err = c.Send(ctx, transport.MessageBinary, []byte("fresh"))
	require.NoError(t, err)
	obs.waitFor(t, ctx, "the fresh message sent", func(cs []observed) bool { return count(cs, "MessagesSent") == 1 })
	require.NoError(t, c.Flush(ctx))
	require.ErrorIs(t, c.Close(), client.ErrUndelivered, "the expired message")
	assert.Empty(t, obs.of("Replayed"))
	dead := obs.of("DeadLetter")
	require.Len(t, dead, 1)
	assert.Equal(t, client.ReasonExpired, dead[0].reason)
}
