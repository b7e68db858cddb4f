package interop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/rpc"
)

// rpcOptions are the client options of the go-ethereum tests: quick
// reconnects and a heartbeat that finds a black hole within about a
// second and a half. A tighter timeout drops healthy connections on a
// loaded machine, and a connection closing while a toxic is added can
// deadlock Toxiproxy v2.12.0 (ToxicCollection.chainAddToxic waits for a
// link whose writer waits for the collection's lock).
func rpcOptions(url string, states chan<- client.StateChange) rpc.Options {
	return rpc.Options{
		Client: client.Options{
			URL:              url,
			Backoff:          backoff.NewConstantBackOff(20 * time.Millisecond),
			Heartbeat:        heartbeat.Options{Interval: 250 * time.Millisecond, Timeout: time.Second},
			OnConnectTimeout: 3 * time.Second,
			Logger:           debugLogger(),
			OnStateChange: func(ch client.StateChange) {
				if states != nil {
					select {
					case states <- ch:
					default:
					}
				}
			},
		},
		Idempotent: func(m string) bool { return m == "test_echo" || m == "test_since" },
	}
}

func startRPC(t *testing.T, opts rpc.Options) *rpc.Client {
	t.Helper()
	c, err := rpc.Start(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestGethCallsAndErrors(t *testing.T) {
	srv := startGeth(t, newNumberFeed())
	c := startRPC(t, rpcOptions(srv.url(), nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var got map[string]any
	require.NoError(t, c.Call(ctx, "test_echo", []any{map[string]any{"a": "b", "n": 1.5}}, &got))
	assert.Equal(t, map[string]any{"a": "b", "n": 1.5}, got)

	err := c.Call(ctx, "test_fail", nil, nil)
	var rerr *rpc.Error
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, -32042, rerr.Code)
	assert.Equal(t, "boom", rerr.Message)
	assert.JSONEq(t, `{"n":7}`, string(rerr.Data))

	err = c.Call(ctx, "test_nope", nil, nil)
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, -32601, rerr.Code, "geth's method-not-found")

	var a, b string
	batch := []rpc.BatchElem{
		{Method: "test_echo", Params: []any{"a"}, Result: &a},
		{Method: "test_fail"},
		{Method: "test_echo", Params: []any{"b"}, Result: &b},
	}
	require.NoError(t, c.BatchCall(ctx, batch))
	assert.Equal(t, "a", a)
	assert.Equal(t, "b", b)
	require.ErrorAs(t, batch[1].Error, &rerr)
	assert.Equal(t, -32042, rerr.Code)
}

// feedRun is one program on the go-ethereum feed: a subscription read to
// the end, backfilled at every renewal, and callers checking that every
// answer is their own.
type feedRun struct {
	t   *testing.T
	c   *rpc.Client
	got []uint64
	dup int // events the new subscription repeated after a backfill

	mu       sync.Mutex
	renewals []rpc.Resubscribed
	filled   int

	seen     atomic.Uint64 // last, for the emitter's window
	progress chan struct{} // one slot: seen moved
}

func (r *feedRun) last() uint64 {
	if len(r.got) == 0 {
		return 0
	}
	return r.got[len(r.got)-1]
}

func (r *feedRun) take(n uint64) {
	switch {
	case n <= r.last():
		r.dup++
	case n == r.last()+1:
		r.got = append(r.got, n)
	default:
		r.t.Errorf("gap: event %d after %d", n, r.last())
		r.got = append(r.got, n)
	}
	r.seen.Store(r.last())
	select {
	case r.progress <- struct{}{}:
	default:
	}
}

func (r *feedRun) onResubscribe(ctx context.Context, rs rpc.Resubscribed) {
	var missed []uint64
	err := r.c.Call(ctx, "test_since", []uint64{r.last()}, &missed)
	r.mu.Lock()
	r.renewals = append(r.renewals, rs)
	r.filled += len(missed)
	r.mu.Unlock()
	if err != nil {
		// The connection fell again: the next renewal's hook backfills
		// from the same point.
		return
	}
	for _, n := range missed {
		r.take(n)
	}
}

// runFeed subscribes, emits total events while fault runs (it gets the
// feed's head at which to act, through mark), reads until the program has
// every one, and checks it got each exactly once, in order, while
// callers saw only their own answers.
func runFeed(t *testing.T, url string, feed *numberFeed, total uint64, states chan client.StateChange, fault func(mark func(uint64))) *feedRun {
	c := startRPC(t, rpcOptions(url, states))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := &feedRun{t: t, c: c, progress: make(chan struct{}, 1)}
	s, err := c.Subscribe(ctx, "test_subscribe", []string{"numbers"}, rpc.SubscribeOptions{OnResubscribe: r.onResubscribe})
	require.NoError(t, err)

	// Callers: idempotent echoes must all be answered with their own
	// value; the others get their own value or ErrConnectionLost.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var once sync.Once
	halt := func() { once.Do(func() { close(stop); cancel() }); wg.Wait() }
	defer halt()
	var answered, lost int
	var cmu sync.Mutex
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				want := fmt.Sprintf("w%d-%d", w, i)
				var got string
				method := "test_echo"
				if i%2 == 1 {
					method = "test_echoOnce"
				}
				err := c.Call(ctx, method, []string{want}, &got)
				cmu.Lock()
				switch {
				case err == nil:
					answered++
					if got != want {
						t.Errorf("%s answered %q, want %q", method, got, want)
					}
				case errors.Is(err, rpc.ErrConnectionLost) && method == "test_echoOnce":
					lost++
				case ctx.Err() != nil:
					cmu.Unlock()
					return
				default:
					t.Errorf("%s: %v", method, err)
				}
				cmu.Unlock()
			}
		}()
	}

	// The emitter: total events, never more than window ahead of the
	// program (a feed faster than its reader would only measure the
	// buffer), while fault acts at heads it waits for. The window is
	// wider than the gaps the faults open.
	const window = 800
	emitted := make(chan struct{})
	go func() {
		defer close(emitted)
		// Until the program has them all: a backfill may reach the last
		// event while Next still waits for one from the subscription.
		for r.seen.Load() < total {
			for feed.current() >= feed.unpacedUntil.Load() && feed.current() >= r.seen.Load()+window {
				select {
				case <-r.progress:
				case <-feed.unpaced:
				case <-ctx.Done():
					return
				}
			}
			feed.emit()
		}
	}()
	faulted := make(chan struct{})
	go func() {
		defer close(faulted)
		fault(feed.waitHead)
	}()
	for r.last() < total {
		ev, err := s.Next(ctx)
		require.NoError(t, err, "after event %d", r.last())
		var e event
		require.NoError(t, json.Unmarshal(ev, &e))
		r.take(e.N)
	}
	<-emitted
	<-faulted
	halt()
	require.Len(t, r.got, int(total))
	for i, n := range r.got {
		require.Equal(t, uint64(i+1), n)
	}
	t.Logf("%d events in order, %d renewals, %d backfilled, %d repeated and skipped; calls: %d answered, %d lost (not idempotent)",
		len(r.got), len(r.renewals), r.filled, r.dup, answered, lost)
	return r
}

// The server is killed mid-stream and started again on the same address
// while events keep coming: the subscription resumes, the hook backfills
// the gap by a Call, and the program has every event once, in order.
func TestGethSubscriptionSurvivesRestart(t *testing.T) {
	feed := newNumberFeed()
	srv := startGeth(t, feed)
	states := make(chan client.StateChange, 64)
	// backUp returns once the Client has gone down and come back: the
	// next kill is then a renewal of its own, not one folded into this
	// one (on a fast machine the second kill could otherwise come while
	// the Client was still redialling after the first).
	backUp := func() {
		down := false
		for ch := range states {
			down = down || ch.From == client.Connected
			if down && ch.To == client.Connected {
				return
			}
		}
	}
	r := runFeed(t, srv.url(), feed, 6000, states, func(waitHead func(uint64)) {
		for _, at := range []uint64{1000, 3000} {
			waitHead(at)
			srv.kill()
			feed.unpace(at + 500)
			waitHead(at + 500) // 500 events happen while it is down
			srv.start()
			backUp()
		}
	})
	// Renewals the program had not reached yet fold into one hook run.
	require.NotEmpty(t, r.renewals)
	assert.GreaterOrEqual(t, r.renewals[len(r.renewals)-1].Renewal, 2)
	assert.GreaterOrEqual(t, r.filled, 1000, "the events emitted while down came by backfill")
}

// The same through Toxiproxy: a connection reset, then a black hole that
// only the heartbeat notices.
func TestGethSubscriptionSurvivesResetAndBlackHole(t *testing.T) {
	feed := newNumberFeed()
	srv := startGeth(t, feed)
	proxy := startProxy(t, srv.addr)
	states := make(chan client.StateChange, 64)
	toxic := func(name, typ, stream, attrs string) {
		js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1.0,"attributes":%s}`, name, typ, stream, attrs)
		_, err := proxy.proxy.Toxics.AddToxicJson(strings.NewReader(js))
		require.NoError(t, err)
	}
	untoxic := func(name string) {
		require.NoError(t, proxy.proxy.Toxics.RemoveToxic(context.Background(), name))
	}
	waitDown := func() {
		for ch := range states {
			if ch.From == client.Connected {
				return
			}
		}
	}
	// waitUp returns once the Client is connected again: a black hole
	// made while it was still redialling after the reset would swallow
	// its handshake, so it would never be connected to be found dead.
	waitUp := func() {
		for ch := range states {
			if ch.To == client.Connected {
				return
			}
		}
	}
	r := runFeed(t, "ws://"+proxy.addr(), feed, 5000, states, func(waitHead func(uint64)) {
		waitHead(1000)
		toxic("reset", "reset_peer", "downstream", `{"timeout":0}`)
		waitDown()
		untoxic("reset")
		waitUp()
		waitHead(2500)
		toxic("hole", "timeout", "downstream", `{"timeout":0}`)
		waitDown() // the heartbeat found it dead
		untoxic("hole")
	})
	require.NotEmpty(t, r.renewals)
	assert.GreaterOrEqual(t, r.renewals[len(r.renewals)-1].Renewal, 2)
}

func debugLogger() *slog.Logger {
	if os.Getenv("RPC_DEBUG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// The other side of the README's comparison: go-ethereum's own rpc client
// ends a subscription when its connection drops (go-ethereum#22266 asked
// for it to resubscribe; declined). After a restart its channel stays
// silent while the feed goes on.
func TestGethClientDoesNotResubscribe(t *testing.T) {
	feed := newNumberFeed()
	srv := startGeth(t, feed)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gc, err := gethrpc.DialWebsocket(ctx, srv.url(), "")
	require.NoError(t, err)
	defer gc.Close()
	ch := make(chan event, 16)
	sub, err := gc.Subscribe(ctx, "test", ch, "numbers")
	require.NoError(t, err)
	feed.emit()
	require.Equal(t, uint64(1), (<-ch).N)

	srv.kill()
	select {
	case err := <-sub.Err():
		t.Logf("go-ethereum's subscription ended: %v", err)
	case <-ctx.Done():
		t.Fatal("go-ethereum's subscription did not end with its connection")
	}
	srv.start()
	// A call reconnects the client (it redials for calls), but the
	// subscription is not renewed: the server has no subscriber.
	require.NoError(t, gc.Call(nil, "test_echo", "x"))
	feed.emit() // forgets the dead connection's subscriber, if still listed
	feed.mu.Lock()
	subs := len(feed.subs)
	feed.mu.Unlock()
	assert.Zero(t, subs, "go-ethereum's client subscribed again")
}
