package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// peerSizes are the message sizes every peer must echo: empty, the
// largest 7-bit length, the smallest 16-bit one, 64 KiB (the smallest
// 64-bit one), 1 MiB and 16 MiB (sturdy's default read limit).
var peerSizes = []int{0, 125, 126, 64 * kib, 1 * mib, 16 * mib}

// goPeers are the in-process peers; node and nginx add theirs in their
// own tests.
var goPeers = []peerSpec{gorillaPeer, coderPeer, gwsPeer}

// TestPeers runs the peer suite against each Go library's server.
func TestPeers(t *testing.T) {
	for _, spec := range goPeers {
		t.Run(spec.name, func(t *testing.T) { peerSuite(t, spec, suiteOptions{}) })
	}
}

// suiteOptions adapt the peer suite to a proxy in front of the peer.
type suiteOptions struct {
	// via starts a proxy in front of backend and returns the address to
	// dial instead. nil dials the peer directly.
	via func(t *testing.T, backend string) string
	// restartStatus, when set, is the handshake status some reconnect
	// attempt must have failed with while the peer was down (502 from a
	// proxy whose backend is gone).
	restartStatus int
}

// peerSuite is everything a real peer must do with sturdy: echo every
// size, text and binary, whole and fragmented both ways; close from
// either side; and survive a restart of the server on the same port with
// client.Client replaying its queue in order.
func peerSuite(t *testing.T, spec peerSpec, o suiteOptions) {
	srv := spec.start(t, "127.0.0.1:0")
	base := srv.addr()
	if o.via != nil {
		base = o.via(t, base)
	}
	t.Run("echo", func(t *testing.T) {
		for _, typ := range []transport.MessageType{transport.MessageText, transport.MessageBinary} {
			for _, frag := range []bool{false, true} {
				name := typ.String() + map[bool]string{false: "/whole", true: "/fragmented"}[frag]
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					echoSizes(t, base, typ, frag)
				})
			}
		}
	})
	t.Run("close-by-client", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c := dialPeer(t, ctx, base, "/echo")
		// A code no other connection uses, so the close the server
		// reports is this one and not an earlier connection's 1000.
		const code = 4321
		if err := c.Close(code, "done"); err != nil {
			t.Fatalf("Close: %v (the closing handshake must complete)", err)
		}
		for {
			select {
			case got := <-srv.closes():
				if got == code {
					return
				}
			case <-ctx.Done():
				t.Fatalf("the server never reported the client's close %d", code)
			}
		}
	})
	t.Run("close-by-server", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c := dialPeer(t, ctx, base, "/echo")
		defer c.CloseNow()
		if err := c.Write(ctx, transport.MessageText, []byte("close:4001")); err != nil {
			t.Fatal(err)
		}
		_, _, err := c.Read(ctx)
		var ce *transport.CloseError
		if !errors.As(err, &ce) || ce.Code != 4001 || ce.Reason != "bye" {
			t.Fatalf("Read ended with %v, want *CloseError 4001 \"bye\"", err)
		}
	})
	t.Run("restart", func(t *testing.T) {
		addr := srv.addr()
		changes := restartReplay(t, srv, func() { spec.start(t, addr) }, base)
		if o.restartStatus == 0 {
			return
		}
		for _, sc := range changes {
			var he *transport.HandshakeError
			if errors.As(sc.Cause, &he) && he.StatusCode == o.restartStatus {
				return
			}
		}
		t.Fatalf("no reconnect attempt failed with %d while the backend was down; changes: %v", o.restartStatus, changes)
	})
}

// dialPeer dials base+path with sturdy's transport.
func dialPeer(t *testing.T, ctx context.Context, base, path string) *transport.Conn {
	t.Helper()
	c, _, err := transport.Dial(ctx, "ws://"+base+path, &transport.DialOptions{Proxy: noProxy})
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	return c
}

func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

// echoSizes sends one message of every size and checks each echo. With
// frag, sturdy writes the message in 4 KiB fragments and the peer echoes
// it through its streaming writer.
func echoSizes(t *testing.T, base string, typ transport.MessageType, frag bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	path := "/echo"
	if frag {
		path = "/frag"
	}
	c := dialPeer(t, ctx, base, path)
	defer c.CloseNow()
	echoEach(t, ctx, c, typ, frag, peerSizes)
	if err := c.Close(transport.StatusNormalClosure, ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// echoEach sends one message of each size on c and checks each echo.
func echoEach(t *testing.T, ctx context.Context, c *transport.Conn, typ transport.MessageType, frag bool, sizes []int) {
	t.Helper()
	for _, n := range sizes {
		pl := textPayload(n)
		if typ == transport.MessageBinary {
			pl = binaryPayload(n)
		}
		if err := writeMaybeFragmented(ctx, c, typ, pl, frag); err != nil {
			t.Fatalf("%d bytes: write: %v", n, err)
		}
		gt, got, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("%d bytes: read: %v", n, err)
		}
		if gt != typ || !bytes.Equal(got, pl) {
			t.Fatalf("%d bytes: echo is %v of %d bytes, want %v of %d equal bytes", n, gt, len(got), typ, n)
		}
	}
}

func writeMaybeFragmented(ctx context.Context, c *transport.Conn, typ transport.MessageType, p []byte, frag bool) error {
	if !frag {
		return c.Write(ctx, typ, p)
	}
	w, err := c.Writer(ctx, typ)
	if err != nil {
		return err
	}
	for len(p) > 0 {
		n := min(len(p), 4096)
		if _, err := w.Write(p[:n]); err != nil {
			return err
		}
		p = p[n:]
	}
	return w.Close()
}

// fastBackoff keeps reconnect tests quick: 10 ms doubling to 200 ms.
func fastBackoff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 10 * time.Millisecond
	b.MaxInterval = 200 * time.Millisecond
	b.MaxElapsedTime = 0
	b.Reset()
	return b
}

// restartReplay connects a client.Client (at-least-once, the echo of each
// numbered message is its ack), sends 1–50 and waits for their acks, kills
// the server, sends 51–100 while it is down, lets one reconnect attempt
// fail, restarts the server on the same port,
// and checks that the echoes read 1–100 in order: the queue was replayed,
// in order, to the new server.
//
// It returns every state change the client went through.
func restartReplay(t *testing.T, srv echoServer, restart func(), base string) []client.StateChange {
	return restartReplayVia(t, srv.stop, restart, "ws://"+base+"/echo", transport.DialOptions{Proxy: noProxy})
}

// restartReplayVia is restartReplay for any URL and dial options (a
// proxy, TLS), with stop taking down whatever the test restarts: the
// server, or a proxy or TLS terminator in front of it.
func restartReplayVia(t *testing.T, stop, restart func(), url string, dial transport.DialOptions) []client.StateChange {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var echoed []uint64
	states := make(chan client.StateChange, 64)
	var changes []client.StateChange
	c, err := client.Start(ctx, client.Options{
		URL:      url,
		Dial:     dial,
		Delivery: client.AtLeastOnce,
		AckExtractor: func(_ transport.MessageType, p []byte) (uint64, bool) {
			n, err := strconv.ParseUint(string(p), 10, 64)
			if err != nil {
				return 0, false
			}
			mu.Lock()
			echoed = append(echoed, n)
			mu.Unlock()
			return n, true
		},
		Backoff:          fastBackoff(),
		DisableHeartbeat: true,
		OnStateChange: func(sc client.StateChange) {
			mu.Lock()
			changes = append(changes, sc)
			mu.Unlock()
			select {
			case states <- sc:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send := func(from, to int) {
		for i := from; i <= to; i++ {
			seq, err := c.Send(ctx, transport.MessageText, []byte(strconv.Itoa(i)))
			if err != nil {
				t.Fatalf("Send %d: %v", i, err)
			}
			if seq != uint64(i) {
				t.Fatalf("Send %d got seq %d", i, seq)
			}
		}
	}
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	send(1, 50)
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush before the restart: %v", err)
	}
	stop()
	// The first Reconnecting is the lost connection; the second is an
	// attempt that failed while the server was down (refused, or a 502
	// from a proxy in front of it).
	waitState(t, ctx, states, client.Reconnecting)
	send(51, 100)
	waitState(t, ctx, states, client.Reconnecting)
	restart()
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush after the restart: %v (stats %+v)", err, c.Stats())
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Every message before the kill was acknowledged, so nothing may
	// come twice.
	if dups, err := checkInOrder(echoed, 100); err != nil || dups != 0 {
		t.Fatalf("echoes: %d duplicates, %v", dups, err)
	}
	if st := c.Stats(); st.Reconnects < 1 {
		t.Fatalf("stats %+v: want at least one reconnect", st)
	}
	return changes
}

// waitState waits for a transition to s.
func waitState(t *testing.T, ctx context.Context, states <-chan client.StateChange, s client.State) {
	t.Helper()
	for {
		select {
		case sc := <-states:
			if sc.To == s {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no transition to %v", s)
		}
	}
}

// checkInOrder checks that got holds 1..n in order, allowing a message to
// repeat only by going back (a replay after a reconnect), never skipping
// ahead. It returns how many entries were repeats.
func checkInOrder(got []uint64, n uint64) (dups int, err error) {
	var next uint64 = 1
	for i, v := range got {
		switch {
		case v == next:
			next++
		case v < next:
			dups++
		default:
			return dups, fmt.Errorf("entry %d is %d, want %d (a gap or a reorder)", i, v, next)
		}
	}
	if next != n+1 {
		return dups, fmt.Errorf("saw 1..%d, want 1..%d", next-1, n)
	}
	return dups, nil
}
