package interop

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// viaProxy is a DialOptions.Proxy that always names p.
func viaProxy(p *url.URL) func(*http.Request) (*url.URL, error) {
	return func(*http.Request) (*url.URL, error) { return p, nil }
}

// echoThrough dials url with dial and checks the echo of a text and a
// binary message of several sizes: connect, send and receive through
// whatever stands in between.
func echoThrough(t *testing.T, url string, dial transport.DialOptions) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := transport.Dial(ctx, url, &dial)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	defer c.CloseNow()
	for _, typ := range []transport.MessageType{transport.MessageText, transport.MessageBinary} {
		echoEach(t, ctx, c, typ, false, []int{0, 125, 64 * kib, 1 * mib})
	}
	if err := c.Close(transport.StatusNormalClosure, ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// expectFailed starts a client.Client on url with dial and checks that it
// ends Failed after a single connection attempt, with a cause that check
// accepts: a refusal the default policy knows cannot change (wrong proxy
// credentials, a certificate that does not verify) must not turn into a
// stream of retries.
func expectFailed(t *testing.T, url string, dial transport.DialOptions, check func(t *testing.T, err error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var dials atomic.Int32
	next := dial.NetDialContext
	if next == nil {
		next = new(net.Dialer).DialContext
	}
	dial.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return next(ctx, network, addr)
	}
	c, err := client.Start(ctx, client.Options{URL: url, Dial: dial, Backoff: fastBackoff(), DisableHeartbeat: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.WaitConnected(ctx)
	if err == nil {
		t.Fatal("connected; want a permanent failure")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("still retrying after 30 s (%d dials); want Failed after one", dials.Load())
	}
	if s := c.State(); s != client.Failed {
		t.Fatalf("state %v, want Failed", s)
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d dials, want exactly 1: no retry after a permanent refusal", n)
	}
	check(t, err)
}

// gorillaEcho is a handler that echoes every message with gorilla, and
// reports the request to seen (if set) before it upgrades.
func gorillaEcho(seen func(r *http.Request)) http.Handler {
	up := &websocket.Upgrader{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			seen(r)
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if c.WriteMessage(typ, p) != nil {
				return
			}
		}
	})
}
