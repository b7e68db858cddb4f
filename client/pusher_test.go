package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sturdyws/sturdy/transport"
)

// pusher is a WebSocket server that writes messages to each connection as
// fast as it takes them, each a copy of a template whose first 8 bytes are
// the message's number, so a reader can tell every message from the
// others. It is the feed for the inbound path's tests and benchmarks.
// With perConn set, it writes that many messages to a connection
// (numbered from 1 on each) and then drops it without a closing
// handshake, so the Client reconnects.
type pusher struct {
	srv          *httptest.Server
	size         int
	perConn      uint64
	served, sent atomic.Int64 // connections accepted, messages written
	wg           sync.WaitGroup
}

func newPusher(tb testing.TB, size int) *pusher { return newCuttingPusher(tb, size, 0) }

// newCuttingPusher is a pusher that drops every connection after perConn
// messages (never, with 0).
func newCuttingPusher(tb testing.TB, size, perConn int) *pusher {
	p := &pusher{size: max(size, 8), perConn: uint64(perConn)}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := transport.Accept(w, r, &transport.AcceptOptions{NoIdleReads: true})
		if err != nil {
			return
		}
		p.wg.Add(1)
		defer p.wg.Done()
		defer conn.CloseNow()
		p.served.Add(1)
		msg := make([]byte, p.size)
		for i := uint64(1); p.perConn == 0 || i <= p.perConn; i++ {
			stamp(msg, i)
			if err := conn.WriteBuffered(context.Background(), transport.MessageBinary, msg); err != nil {
				return
			}
			p.sent.Add(1)
			if i%64 == 0 {
				if err := conn.Flush(context.Background()); err != nil {
					return
				}
			}
		}
		_ = conn.Flush(context.Background())
	}))
	tb.Cleanup(func() {
		p.srv.CloseClientConnections()
		p.srv.Close()
		p.wg.Wait()
	})
	return p
}

func (p *pusher) url() string { return "ws" + strings.TrimPrefix(p.srv.URL, "http") }

// stamp writes n into the first 8 bytes of msg and a pattern derived
// from n into the rest (up to 64 bytes), so a payload overwritten by a
// later message is caught.
func stamp(msg []byte, n uint64) {
	for i := range min(len(msg), 64) {
		msg[i] = byte(n >> (8 * (i % 8)))
	}
}

// stampOf returns the number stamp wrote into msg, and whether the rest
// of the pattern matches it.
func stampOf(msg []byte) (uint64, bool) {
	var n uint64
	for i := range 8 {
		n |= uint64(msg[i]) << (8 * i)
	}
	for i := 8; i < min(len(msg), 64); i++ {
		if msg[i] != byte(n>>(8*(i%8))) {
			return n, false
		}
	}
	return n, true
}
