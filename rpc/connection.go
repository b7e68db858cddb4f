package rpc

import (
	"context"

	"github.com/sturdyws/sturdy/transport"
)

// onConnect is the client's OnConnect hook: on the reader, at the point of
// the stream where everything of the previous connection has been routed,
// it retires that connection's calls, makes conn the live one and renews
// every subscription on it, reading conn itself until the renewals are
// answered (the client's reader starts only after OnConnect returns).
func (c *Client) onConnect(ctx context.Context, conn *transport.Conn) error {
	return c.sync(ctx, func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.renew(ctx, conn); err != nil {
			// Everything conn delivered was read here and routed, so its
			// calls can be retired now rather than at the next connection.
			_ = conn.CloseNow()
			c.mu.Lock()
			c.lose(c.gen)
			c.mu.Unlock()
			return err
		}
		return nil
	})
}

// renew runs on the reader goroutine; see onConnect.
func (c *Client) renew(ctx context.Context, conn *transport.Conn) error {
	c.mu.Lock()
	c.lose(c.gen)
	c.gen++
	c.conn = conn
	close(c.connReady)
	c.connReady = make(chan struct{})
	clear(c.subs)
	var calls []*call
	for s := range c.active {
		cl := newCall([]request{{method: quoteMethod(s.method), params: s.params}})
		cl.sub, cl.renew = s, true
		c.register(cl, c.gen)
		calls = append(calls, cl)
	}
	c.rd.renewing = len(calls)
	c.mu.Unlock()
	if len(calls) == 0 {
		return nil
	}
	bg := context.Background() // bounded by the write timeout and by CloseNow when ctx ends
	for _, cl := range calls {
		if err := conn.WriteBuffered(bg, transport.MessageText, cl.encode()); err != nil {
			return err
		}
	}
	if err := conn.Flush(bg); err != nil {
		return err
	}
	for c.rd.renewing > 0 {
		_, p, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		c.route(p)
	}
	return nil
}

// onDisconnect runs when a connection has ended and the client's reader
// for it has stopped (the state left Connected): once what it delivered
// has been routed, its calls still waiting are retired.
func (c *Client) onDisconnect() {
	_ = c.sync(c.ctx, func() error {
		c.mu.Lock()
		if c.conn != nil && isDone(c.conn) {
			c.lose(c.gen)
		}
		c.mu.Unlock()
		return nil
	})
}

// lose retires the calls written to connection gen or before: each
// completes with errLost, which the caller turns into a resend or
// ErrConnectionLost. Subscription ids of those connections mean nothing
// any more. Called with mu held, on the reader goroutine.
func (c *Client) lose(gen uint64) {
	var lost []*call
	for _, cl := range c.pending {
		if cl.gen <= gen && cl.remaining > 0 {
			lost = append(lost, cl)
		}
	}
	for _, cl := range lost {
		if cl.remaining > 0 { // a batch appears once per id
			c.finish(cl, errLost)
		}
	}
	clear(c.subs)
}
