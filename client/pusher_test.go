package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sturdyws/sturdy/transport"
)

// pusher is a WebSocket server that writes messages to each connection as
// fast as it takes them, each a copy of a template whose first 8 bytes are
// the message's number, so a reader can tell every message from the
// others. It is the feed for the inbound path's tests and benchmarks.
type pusher struct {
	srv  *httptest.Server
	size int
	wg   sync.WaitGroup
}

func newPusher(tb testing.TB, size int) *pusher {
	p := &pusher{size: max(size, 8)}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := transport.Accept(w, r, &transport.AcceptOptions{NoIdleReads: true})
		if err != nil {
			return
		}
		p.wg.Add(1)
		defer p.wg.Done()
		defer conn.CloseNow()
		msg := make([]byte, p.size)
		for i := uint64(1); ; i++ {
			stamp(msg, i)
			if err := conn.WriteBuffered(context.Background(), transport.MessageBinary, msg); err != nil {
				return
			}
			if i%64 == 0 {
				if err := conn.Flush(context.Background()); err != nil {
					return
				}
			}
		}
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
