package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// A call made while disconnected waits for the next connection.
func TestCallWaitsWhileDisconnected(t *testing.T) {
	f := startFeed(t)
	down := make(chan struct{}, 4)
	c := dial(t, f, Options{Client: client.Options{OnStateChange: func(ch client.StateChange) {
		if ch.From == client.Connected {
			down <- struct{}{}
		}
	}}})
	ctx := testCtx(t)
	f.StallHandshakes()
	f.DropAll()
	<-down // the client knows: a call now waits rather than goes to the dead connection
	errc := make(chan error, 1)
	var got int
	go func() { errc <- c.Call(ctx, "test_echo", []int{42}, &got) }()
	require.NoError(t, f.WaitHandshakes(ctx, 2))
	f.ReleaseHandshakes()
	require.NoError(t, <-errc)
	assert.Equal(t, 42, got)

	// And ctx bounds the wait.
	f.StallHandshakes()
	f.DropAll()
	<-down
	short, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, c.Call(short, "test_echo", nil, nil), context.Canceled)
	f.ReleaseHandshakes()
}

// Notifications that belong to no subscription go to OnNotification, in
// order; events of unknown subscriptions go nowhere.
func TestOnNotification(t *testing.T) {
	f := startFeed(t)
	got := make(chan string, 8)
	c := dial(t, f, Options{OnNotification: func(method string, params json.RawMessage) {
		got <- method + " " + string(params)
	}})
	ctx := testCtx(t)
	for _, m := range []string{
		`{"jsonrpc":"2.0","method":"server_hello","params":{"v":1}}`,
		`{"jsonrpc":"2.0","method":"x_subscription","params":{"subscription":"0xnone","result":1}}`,
		`{"jsonrpc":"2.0","method":"server_bye","params":[2]}`,
	} {
		require.NoError(t, f.Send(ctx, 1, transport.MessageText, []byte(m)))
	}
	assert.Equal(t, `server_hello {"v":1}`, <-got)
	assert.Equal(t, `server_bye [2]`, <-got)
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil))
	assert.Empty(t, got)
}

// channelDialect is a dialect unlike eth's: subscribe answers with a
// channel name and events are {"method":"update","params":{"channel","data"}}.
type channelDialect struct{}

func (channelDialect) SubscriptionID(result []byte) ([]byte, error) { return result, nil }

func (channelDialect) Notification(method, params []byte) (id, payload []byte, ok bool) {
	if string(method) != `"update"` {
		return nil, nil, false
	}
	var p struct {
		Channel json.RawMessage
		Data    json.RawMessage
	}
	if json.Unmarshal(params, &p) != nil || p.Channel == nil {
		return nil, nil, false
	}
	return p.Channel, p.Data, true
}

func (channelDialect) Unsubscribe(_ string, id []byte) (string, any) {
	return "unsub", []json.RawMessage{id}
}

func TestCustomDialect(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Behavior{Message: func(ctx context.Context, c *wstest.Conn, m wstest.Message) {
		var r fakeReq
		_ = json.Unmarshal(m.Data, &r)
		switch r.Method {
		case "sub":
			_ = c.Write(ctx, transport.MessageText, []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, r.ID, r.Params[0])))
			for i := 1; i <= 3; i++ {
				_ = c.Write(ctx, transport.MessageText, []byte(fmt.Sprintf(`{"jsonrpc":"2.0","method":"update","params":{"channel":%s,"data":%d}}`, r.Params[0], i)))
			}
		case "unsub":
			_ = c.Write(ctx, transport.MessageText, []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":true}`, r.ID)))
		}
	}}})
	c, err := Start(context.Background(), Options{Client: client.Options{URL: srv.URL()}, Dialect: channelDialect{}})
	require.NoError(t, err)
	defer c.Close()
	ctx := testCtx(t)
	s, err := c.Subscribe(ctx, "sub", []string{"ticker"}, SubscribeOptions{})
	require.NoError(t, err)
	for want := 1; want <= 3; want++ {
		ev, err := s.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint(want), string(ev))
	}
	require.NoError(t, s.Unsubscribe(ctx))
	msgs := srv.Received()
	require.Len(t, msgs, 2)
	assert.Contains(t, string(msgs[1].Data), `"method":"unsub","params":["ticker"]`)
}

// A server that closes with 1000 (go-ethereum does when it shuts down)
// is reconnected to by default; StopOnNormalClosure ends the session.
func TestNormalClosure(t *testing.T) {
	f := startFeed(t)
	c := dial(t, f, Options{})
	ctx := testCtx(t)
	f.CloseAll(transport.StatusNormalClosure, "restarting")
	require.NoError(t, f.WaitAccepted(ctx, 2))
	require.NoError(t, c.Call(ctx, "test_echo", nil, nil))

	g := startFeed(t)
	d := dial(t, g, Options{StopOnNormalClosure: true})
	g.CloseAll(transport.StatusNormalClosure, "bye")
	err := d.Call(ctx, "test_echo", nil, nil)
	for errors.Is(err, ErrConnectionLost) { // the call raced the close
		err = d.Call(ctx, "test_echo", nil, nil)
	}
	assert.ErrorIs(t, err, client.ErrFailed)
	assert.Equal(t, client.Failed, d.State())
}

// A hostile server's noise around an answer: invalid JSON, answers to
// ids never used, a string id, a member-less object, an unsupported
// request. The call still gets its own answer and nothing else.
func TestHostileNoiseAroundAnswers(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Behavior{Message: func(ctx context.Context, c *wstest.Conn, m wstest.Message) {
		var r fakeReq
		_ = json.Unmarshal(m.Data, &r)
		for _, noise := range []string{
			`{"jsonrpc":"2.0","id":`, `[`, `"just a string"`, `{}`, `[1,2]`,
			`{"jsonrpc":"2.0","id":999999,"result":"not yours"}`,
			`{"jsonrpc":"2.0","id":"` + string(r.ID) + `","result":"string id"}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse"}}`,
			`{"jsonrpc":"2.0","id":5,"method":"client_ping","params":[]}`,
		} {
			_ = c.Write(ctx, transport.MessageText, []byte(noise))
		}
		_ = c.Write(ctx, transport.MessageText, []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, r.ID, r.Params[0])))
	}}})
	var logs bytes.Buffer
	c, err := Start(context.Background(), Options{Client: client.Options{
		URL: srv.URL(), Backoff: backoff.NewConstantBackOff(time.Millisecond),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}})
	require.NoError(t, err)
	defer c.Close()
	ctx := testCtx(t)
	for i := range 20 {
		var got int
		require.NoError(t, c.Call(ctx, "echo", []int{i}, &got))
		require.Equal(t, i, got)
	}
	assert.Contains(t, logs.String(), "not valid JSON")
}

// The hot path of an event, from the message to Next, allocates nothing.
func TestRouteNotificationAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("under -race, sync.Pool drops json.Valid's scanners at random; go test ./rpc/ checks this")
	}
	c := &Client{
		pending: map[uint64]*call{}, subs: map[string]*Subscription{},
		active: map[*Subscription]struct{}{}, dialect: Eth{}, log: slog.New(slog.DiscardHandler),
		ctx: context.Background(),
	}
	s := &Subscription{c: c, max: DefaultBuffer, ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
	c.subs[`"0xab"`] = s
	msg := []byte(`{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0xab","result":{"number":"0x1b4"}}}`)
	ctx := context.Background()
	c.route(msg) // the first grows the buffer
	_, _ = s.Next(ctx)
	allocs := testing.AllocsPerRun(1000, func() {
		c.route(msg)
		if _, err := s.Next(ctx); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

// An answer with neither result nor error, or an error member that is not
// an error object, fails its call with ErrBadResponse.
func TestBadResponse(t *testing.T) {
	srv := wstest.Start(t, wstest.Options{Default: wstest.Behavior{Message: func(ctx context.Context, c *wstest.Conn, m wstest.Message) {
		var r fakeReq
		_ = json.Unmarshal(m.Data, &r)
		answer := `{"jsonrpc":"2.0","id":` + string(r.ID) + `}`
		if r.Method == "bad_error" {
			answer = `{"jsonrpc":"2.0","id":` + string(r.ID) + `,"error":"oops"}`
		}
		_ = c.Write(ctx, transport.MessageText, []byte(answer))
	}}})
	c, err := Start(context.Background(), Options{Client: client.Options{URL: srv.URL()}})
	require.NoError(t, err)
	defer c.Close()
	ctx := testCtx(t)
	assert.ErrorIs(t, c.Call(ctx, "empty", nil, nil), ErrBadResponse)
	assert.ErrorIs(t, c.Call(ctx, "bad_error", nil, nil), ErrBadResponse)
}
