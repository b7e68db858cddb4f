package main

import (
	"context"
	"sync"

	"github.com/sturdyws/sturdy/transport"
	"github.com/sturdyws/sturdy/wstest"
)

// priceRate is how many prices per second the embedded exchange streams.
const priceRate = 500

// exchange is the embedded market: a wstest server on loopback whose /feed
// route streams numbered prices to subscribed connections and acknowledges
// orders. wstest records everything it receives, which is how the summary
// proves what the client's orders became.
type exchange struct {
	srv *wstest.Server

	mu    sync.Mutex
	gates map[int]*gate // by connection ordinal: closed once subscribed
}

// gate opens once, when its connection has subscribed.
type gate struct {
	once sync.Once
	ch   chan struct{}
}

// startExchange starts the embedded server; Close stops it.
func startExchange() (*exchange, error) {
	ex := &exchange{gates: map[int]*gate{}}
	prices := wstest.Stream(wstest.StreamOptions{Rate: priceRate})
	feed := wstest.Behavior{
		// Like a real exchange, it streams nothing until the connection
		// subscribes: a client that forgot to resubscribe after a
		// reconnect would wait forever.
		Open: func(ctx context.Context, c *wstest.Conn) {
			defer ex.forget(c.Ordinal())
			select {
			case <-ex.gate(c.Ordinal()).ch:
				prices.Open(ctx, c)
			case <-ctx.Done():
			}
		},
		Message: ex.answer,
	}
	srv, err := wstest.NewServer(wstest.Options{Routes: map[string]wstest.Behavior{"/feed": feed}})
	if err != nil {
		return nil, err
	}
	ex.srv = srv
	return ex, nil
}

// URL is the address the client dials.
func (ex *exchange) URL() string { return ex.srv.URL() + "/feed" }

// Close stops the server and every goroutine it started.
func (ex *exchange) Close() { ex.srv.Close() }

// answer handles one client message on the connection's reading goroutine:
// it confirms a subscription (before any price, since prices wait for the
// gate it opens afterwards) and acknowledges an order. The server acks
// replays too, as a real one would: the client's queue ignores repeats.
func (ex *exchange) answer(ctx context.Context, c *wstest.Conn, m wstest.Message) {
	r, ok := parseRequest(m.Data)
	if !ok {
		return
	}
	switch r.Op {
	case "subscribe":
		if c.Write(ctx, transport.MessageText, confirmMsg) == nil {
			g := ex.gate(c.Ordinal())
			g.once.Do(func() { close(g.ch) })
		}
	case "order":
		_ = c.Write(ctx, transport.MessageText, ackMsg(r.ID))
	}
}

// gate returns the subscription gate of connection ordinal.
func (ex *exchange) gate(ordinal int) *gate {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	g := ex.gates[ordinal]
	if g == nil {
		g = &gate{ch: make(chan struct{})}
		ex.gates[ordinal] = g
	}
	return g
}

// forget drops a finished connection's gate, so a long run does not keep
// one per connection it ever had.
func (ex *exchange) forget(ordinal int) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	delete(ex.gates, ordinal)
}
