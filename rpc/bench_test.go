package rpc

import (
	"context"
	"log/slog"
	"testing"
)

// BenchmarkRouteNotification is the hot path of a subscription: decode one
// eth_subscription message's envelope, find its subscription, queue the
// event, and take it with Next. It allocates nothing: the event is a span
// of the message the client.Client already copied for this package.
func BenchmarkRouteNotification(b *testing.B) {
	c := &Client{
		pending: map[uint64]*call{}, subs: map[string]*Subscription{},
		active: map[*Subscription]struct{}{}, dialect: Eth{}, log: slog.New(slog.DiscardHandler),
		ctx: context.Background(),
	}
	s := &Subscription{c: c, max: DefaultBuffer, ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
	c.subs[`"0x9cef478923ff08bf67fde6c64013158d"`] = s
	msg := []byte(`{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x9cef478923ff08bf67fde6c64013158d","result":{"number":"0x1b4","hash":"0xdc0818cf78f21a8e70579cb46a43643f78291264dda342ae31049421c82d21ae","parentHash":"0x6d1b9e2c4a4b1d1f2e8d4a1c9e0f7b3a5c2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f"}}}`)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		c.route(msg)
		if _, err := s.Next(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
