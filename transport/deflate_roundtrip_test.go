package transport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingConn counts the bytes written to a net.Conn, to see compression
// on the wire.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// deflatePair dials a server that Accepts with compression and returns
// both Conns and a counter of the bytes the client wrote.
func deflatePair(t *testing.T, client, server *CompressionOptions) (cc, sc *Conn, sent *atomic.Int64) {
	t.Helper()
	srv, conns, _ := acceptServer(t, &AcceptOptions{Compression: server})
	sent = new(atomic.Int64)
	dialer := new(net.Dialer)
	cc, _, err := dialTest(t, srv.URL, &DialOptions{
		Compression: client,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{nc, sent}, nil
		},
	})
	require.NoError(t, err)
	return cc, <-conns, sent
}

// jsonMessage is a JSON-like message of about n bytes, different for each
// seq but sharing its keys with every other, as a feed's messages do.
func jsonMessage(seq, n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"type":"trade","symbol":"BTC-USD","seq":%d,"price":"%d.%02d","size":"0.%04d","side":"buy"},`,
			seq, 60000+(seq*7+i*13)%997, (seq+i)%100, (seq*31+i)%10000)
	}
	return b.Bytes()[:n]
}

// exchange sends msgs from a to b and checks they arrive intact, in order.
func exchange(t *testing.T, from, to *Conn, typ MessageType, msgs [][]byte) {
	t.Helper()
	ctx := context.Background()
	errc := make(chan error, 1)
	go func() {
		for _, m := range msgs {
			if err := from.Write(ctx, typ, m); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	var buf []byte
	for i, want := range msgs {
		gotTyp, got, err := to.ReadInto(ctx, buf)
		require.NoError(t, err, "message %d", i)
		require.Equal(t, typ, gotTyp)
		require.True(t, bytes.Equal(want, got), "message %d: got %d bytes, want %d", i, len(got), len(want))
		buf = got
	}
	require.NoError(t, <-errc)
}

func TestDeflateRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name           string
		client, server CompressionOptions
		small          bool // the client's window is too small to compress most of these
	}{
		{"takeover both ways", CompressionOptions{}, CompressionOptions{}, false},
		{"client no takeover", CompressionOptions{ClientNoContextTakeover: true}, CompressionOptions{}, false},
		{"server no takeover", CompressionOptions{ServerNoContextTakeover: true}, CompressionOptions{}, false},
		{"server imposes both", CompressionOptions{}, CompressionOptions{ClientNoContextTakeover: true, ServerNoContextTakeover: true}, false},
		{"best compression", CompressionOptions{Level: 9}, CompressionOptions{Level: 9}, false},
		{"every message", CompressionOptions{Threshold: -1}, CompressionOptions{Threshold: -1}, false},
		{"windows below 15 bits", CompressionOptions{ClientMaxWindowBits: 9, ServerMaxWindowBits: 10}, CompressionOptions{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc, sent := deflatePair(t, &tc.client, &tc.server)
			_, ok := cc.Compression()
			require.True(t, ok)
			var msgs [][]byte
			total := 0
			for i, n := range []int{0, 1, 127, 128, 1000, 1024, 4096, 40000, 70000, 200, 300, 1 << 20, 5} {
				msgs = append(msgs, jsonMessage(i, n))
				total += n
			}
			// Repeats: with context takeover they compress to almost nothing.
			msgs = append(msgs, msgs[4], msgs[5], msgs[7])
			before := sent.Load()
			exchange(t, cc, sc, MessageText, msgs)
			if !tc.small {
				assert.Less(t, sent.Load()-before, int64(total/3), "client to server must be compressed")
			}
			exchange(t, sc, cc, MessageBinary, msgs)
			exchange(t, cc, sc, MessageBinary, msgs[:3])
		})
	}
}

func TestDeflateStreamingWriter(t *testing.T) {
	cc, sc, _ := deflatePair(t, &CompressionOptions{}, &CompressionOptions{})
	ctx := context.Background()
	want := jsonMessage(1, 300000)
	errc := make(chan error, 1)
	go func() {
		w, err := cc.Writer(ctx, MessageText)
		if err != nil {
			errc <- err
			return
		}
		for p := want; len(p) > 0; {
			n := min(len(p), 7000)
			if _, err := w.Write(p[:n]); err != nil {
				errc <- err
				return
			}
			p = p[n:]
		}
		errc <- w.Close()
	}()
	typ, r, err := sc.Reader(ctx)
	require.NoError(t, err)
	assert.Equal(t, MessageText, typ)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, <-errc)
	assert.True(t, bytes.Equal(want, got))
	// The context carries on into the next message.
	exchange(t, cc, sc, MessageText, [][]byte{want[:5000], []byte(strings.Repeat("x", 500))})
}

// TestDeflateUnreadMessageKeepsContext: a compressed message left unread
// (or half read) is still decompressed when the next read discards it,
// since later messages refer back to it.
func TestDeflateUnreadMessageKeepsContext(t *testing.T) {
	cc, sc, _ := deflatePair(t, &CompressionOptions{}, &CompressionOptions{})
	ctx := context.Background()
	msgs := [][]byte{jsonMessage(1, 5000), jsonMessage(1, 5000), jsonMessage(2, 3000)}
	go func() {
		for _, m := range msgs {
			if err := sc.Write(ctx, MessageText, m); err != nil {
				return
			}
		}
	}()
	_, r, err := cc.Reader(ctx)
	require.NoError(t, err)
	half := make([]byte, 100)
	_, err = io.ReadFull(r, half)
	require.NoError(t, err)
	_, _, err = cc.Reader(ctx) // skips the rest of the first, and all of the second
	require.NoError(t, err)
	_, got, err := cc.Read(ctx)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(msgs[2], got))
}
