package interop

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coderws "github.com/coder/websocket"
	gorillaws "github.com/gorilla/websocket"
	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// deflatePeer is a real server with permessage-deflate on, and what sturdy
// must report after dialing it with the default offer.
type deflatePeer struct {
	name  string
	start func(t *testing.T) echoServer
	want  transport.DeflateParams
}

// bothTakeover is the default: both contexts kept, full windows;
// noTakeover what a server that resets both contexts settles on.
var (
	bothTakeover = transport.DeflateParams{ClientMaxWindowBits: 15, ServerMaxWindowBits: 15}
	noTakeover   = transport.DeflateParams{ClientNoContextTakeover: true, ServerNoContextTakeover: true, ClientMaxWindowBits: 15, ServerMaxWindowBits: 15}
)

func goDeflatePeers() []deflatePeer {
	return []deflatePeer{
		{name: "coder-takeover", want: bothTakeover, start: func(t *testing.T) echoServer {
			return startCoderDeflate(t, coderws.CompressionContextTakeover)
		}},
		{name: "coder-no-takeover", want: noTakeover, start: func(t *testing.T) echoServer {
			return startCoderDeflate(t, coderws.CompressionNoContextTakeover)
		}},
		// gorilla only implements no context takeover.
		{name: "gorilla", want: noTakeover, start: startGorillaDeflate},
	}
}

func nodeDeflatePeers() []deflatePeer {
	node := func(mode string) func(t *testing.T) echoServer {
		return func(t *testing.T) echoServer {
			t.Setenv("STURDY_NODE_DEFLATE", mode)
			return startNodePeer(t, "127.0.0.1:0")
		}
	}
	return []deflatePeer{
		{name: "node-takeover", want: bothTakeover, start: node("takeover")},
		{name: "node-server-no-takeover", start: node("server-no-takeover"),
			want: transport.DeflateParams{ServerNoContextTakeover: true, ClientMaxWindowBits: 15, ServerMaxWindowBits: 15}},
		{name: "node-no-takeover", want: noTakeover, start: node("no-takeover")},
	}
}

// TestDeflatePeers runs the compressed echo suite against coder/websocket
// and gorilla/websocket servers with compression on.
func TestDeflatePeers(t *testing.T) {
	for _, dp := range goDeflatePeers() {
		t.Run(dp.name, func(t *testing.T) { deflateSuite(t, dp, dp.start(t)) })
	}
}

// TestDeflatePeerNode runs it against Node's ws with perMessageDeflate.
// Not parallel: the mode reaches echo.js through the environment.
func TestDeflatePeerNode(t *testing.T) {
	requireNode(t)
	for _, dp := range nodeDeflatePeers() {
		t.Run(dp.name, func(t *testing.T) { deflateSuite(t, dp, dp.start(t)) })
	}
}

// deflateSuite: negotiation, echoes of every size and kind both ways,
// whole and fragmented, and a run of similar messages whose size on the
// wire shows whether each side's context is taken over.
func deflateSuite(t *testing.T, dp deflatePeer, srv echoServer) {
	base := srv.addr()
	kinds := []payloadKind{kindJSON, kindUTF8Mixed, kindPattern, kindRandom}
	for _, kind := range kinds {
		for _, frag := range []bool{false, true} {
			name := kind.name + map[bool]string{false: "/whole", true: "/fragmented"}[frag]
			t.Run(name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				path := "/echo"
				if frag {
					path = "/frag"
				}
				c, _ := dialDeflate(t, ctx, base, path, dp.want)
				defer c.CloseNow()
				typ := transport.MessageBinary
				if kind.op == opText {
					typ = transport.MessageText
				}
				for i, n := range []int{0, 16, 125, 126, 1000, 4 * kib, 64 * kib, 1 * mib} {
					pl := kind.gen(n, i)
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
				if err := c.Close(transport.StatusNormalClosure, ""); err != nil {
					t.Fatalf("Close: %v", err)
				}
			})
		}
	}
	t.Run("context", func(t *testing.T) { deflateContext(t, base, dp.want) })
}

// countingConn counts the bytes a connection reads and writes.
type countingConn struct {
	net.Conn
	read, written *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// dialDeflate dials with compression offered (default parameters, every
// message compressed) and checks what was negotiated. It returns the
// connection and its byte counters (read, written).
func dialDeflate(t *testing.T, ctx context.Context, base, path string, want transport.DeflateParams) (*transport.Conn, [2]*atomic.Int64) {
	t.Helper()
	counts := [2]*atomic.Int64{new(atomic.Int64), new(atomic.Int64)}
	var d net.Dialer
	c, _, err := transport.Dial(ctx, "ws://"+base+path, &transport.DialOptions{
		Proxy:       noProxy,
		Compression: &transport.CompressionOptions{Threshold: -1},
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: nc, read: counts[0], written: counts[1]}, nil
		},
	})
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	if got, ok := c.Compression(); !ok || got != want {
		c.CloseNow()
		t.Fatalf("Compression() = %+v, %v; want %+v, true", got, ok, want)
	}
	return c, counts
}

// deflateContext echoes 50 similar 1 KiB JSON messages and measures the
// bytes on the wire each way. A side that takes its context over must send
// them in well under a tenth of their size (each differs from the last in
// a few bytes); one that resets per message cannot (a fresh context finds
// only the repeats inside one message). This is what makes the window
// kept across messages, on both sides, observable.
func deflateContext(t *testing.T, base string, want transport.DeflateParams) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, counts := dialDeflate(t, ctx, base, "/echo", want)
	defer c.CloseNow()
	// One message first, so the counts leave out the handshake and the
	// first message of each context.
	roundTrip := func(i int) {
		p := similarJSON(i)
		if err := c.Write(ctx, transport.MessageText, p); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		if err != nil || !bytes.Equal(got, p) {
			t.Fatalf("message %d: echo of %d bytes, %v", i, len(got), err)
		}
	}
	roundTrip(0)
	r0, w0 := counts[0].Load(), counts[1].Load()
	const n = 50
	for i := 1; i <= n; i++ {
		roundTrip(i)
	}
	raw := float64(n * kib)
	in, out := float64(counts[0].Load()-r0)/raw, float64(counts[1].Load()-w0)/raw
	t.Logf("%d similar 1 KiB messages on the wire: server→sturdy %.3f of their size (server context kept: %v), sturdy→server %.3f (client context kept: %v)",
		n, in, !want.ServerNoContextTakeover, out, !want.ClientNoContextTakeover)
	check := func(dir string, ratio float64, takeover bool) {
		switch {
		case takeover && ratio > 0.1:
			t.Errorf("%s: %.3f of the size with context takeover, want < 0.1", dir, ratio)
		case !takeover && ratio < 0.15:
			t.Errorf("%s: %.3f of the size without context takeover, want ≥ 0.15 (a context kept?)", dir, ratio)
		}
	}
	check("server→sturdy", in, !want.ServerNoContextTakeover)
	check("sturdy→server", out, !want.ClientNoContextTakeover)
	if err := c.Close(transport.StatusNormalClosure, ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// startCoderDeflate is coderPeer's echo server with compression on,
// every message compressed.
func startCoderDeflate(t *testing.T, mode coderws.CompressionMode) echoServer {
	return startGoPeer(t, "127.0.0.1:0", func(ev *peerEvents, frag bool, w http.ResponseWriter, r *http.Request) {
		c, err := coderws.Accept(w, r, &coderws.AcceptOptions{CompressionMode: mode, CompressionThreshold: 1})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(64 << 20)
		ctx := context.Background()
		for {
			typ, p, err := c.Read(ctx)
			if err != nil {
				if code := coderws.CloseStatus(err); code != -1 {
					ev.closed(int(code))
				}
				return
			}
			if !frag {
				if c.Write(ctx, typ, p) != nil {
					return
				}
				continue
			}
			mw, err := c.Writer(ctx, typ)
			if err != nil {
				return
			}
			for len(p) > 0 {
				n := min(len(p), 4096)
				if _, err := mw.Write(p[:n]); err != nil {
					return
				}
				p = p[n:]
			}
			if mw.Close() != nil {
				return
			}
		}
	})
}

// startGorillaDeflate is gorillaPeer's echo server with EnableCompression
// (gorilla compresses every message once negotiated).
func startGorillaDeflate(t *testing.T) echoServer {
	up := &gorillaws.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096, EnableCompression: true}
	return startGoPeer(t, "127.0.0.1:0", func(ev *peerEvents, frag bool, w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				var ce *gorillaws.CloseError
				if errors.As(err, &ce) {
					ev.closed(ce.Code)
				}
				return
			}
			if !frag {
				if c.WriteMessage(typ, p) != nil {
					return
				}
				continue
			}
			mw, err := c.NextWriter(typ)
			if err != nil {
				return
			}
			if _, err := mw.Write(p); err != nil || mw.Close() != nil {
				return
			}
		}
	})
}

// TestDeflateClient runs a client.Client with compression through
// Options.Dial against coder's server with context takeover: 300 similar
// messages, at-least-once with the echo as the ack, all acknowledged in
// order over a compressed connection.
func TestDeflateClient(t *testing.T) {
	srv := startCoderDeflate(t, coderws.CompressionContextTakeover)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var echoed []uint64
	var negotiated []transport.DeflateParams
	c, err := client.Start(ctx, client.Options{
		URL: "ws://" + srv.addr() + "/echo",
		Dial: transport.DialOptions{
			Proxy:       noProxy,
			Compression: &transport.CompressionOptions{},
		},
		Delivery: client.AtLeastOnce,
		AckExtractor: func(_ transport.MessageType, p []byte) (uint64, bool) {
			// similarJSON starts {"seq":NNNNNN,
			if len(p) < 14 {
				return 0, false
			}
			n, err := strconv.ParseUint(string(p[7:13]), 10, 64)
			if err != nil {
				return 0, false
			}
			mu.Lock()
			echoed = append(echoed, n)
			mu.Unlock()
			return n, true
		},
		OnConnect: func(_ context.Context, conn *transport.Conn) error {
			p, ok := conn.Compression()
			if !ok {
				return errors.New("connected without compression")
			}
			mu.Lock()
			negotiated = append(negotiated, p)
			mu.Unlock()
			return nil
		},
		Backoff:          fastBackoff(),
		DisableHeartbeat: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 300
	for i := 1; i <= n; i++ {
		if _, err := c.Send(ctx, transport.MessageText, similarJSON(i)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v (stats %+v)", err, c.Stats())
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if dups, err := checkInOrder(echoed, n); err != nil || dups != 0 {
		t.Fatalf("echoes: %d duplicates, %v", dups, err)
	}
	if len(negotiated) != 1 || negotiated[0] != bothTakeover {
		t.Fatalf("negotiated %+v, want one connection with %+v", negotiated, bothTakeover)
	}
	if st := c.Stats(); st.Reconnects != 0 {
		t.Fatalf("stats %+v: the connection was lost", st)
	}
}
