package rpc

import (
	"context"
	"sync"
	"sync/atomic"
)

// reader is the one goroutine that routes what the server sends: it takes
// messages from the client.Client in order and hands each answer to its
// call and each event to its subscription. Work that must see the stream
// at a precise point (renewing subscriptions on a new connection, failing
// the calls of a lost one) runs on it too, as a barrier: the reader is
// interrupted, routes everything the session has received so far, then
// runs the barrier before reading on. So no answer or event of an old
// connection is routed after the barrier that retired it.
type reader struct {
	mu       sync.Mutex
	barriers []*barrier
	wake     context.CancelFunc // interrupts the reader's wait
	ctx      context.Context    // the current wait's
	exited   bool

	session context.Context
	now     context.Context // already done: a Read with it never waits
	done    chan struct{}   // closed when the reader has exited

	renewing int // subscribe answers the running renewal awaits (reader only)
}

// barrier is work to run on the reader at a point in the stream.
type barrier struct {
	fn    func() error
	err   error
	state atomic.Int32 // barrierWaiting, barrierRunning or barrierCancelled
	done  chan struct{}
}

const (
	barrierWaiting int32 = iota
	barrierRunning
	barrierCancelled
)

func (r *reader) init(session context.Context) {
	r.session = session
	r.done = make(chan struct{})
	now, cancel := context.WithCancel(context.Background())
	cancel()
	r.now = now
	r.ctx, r.wake = context.WithCancel(session)
}

// sync runs fn on the reader once everything received before it has been
// routed, and returns fn's error. When ctx ends before fn has started, fn
// does not run; once started, sync waits for it (fn honours ctx itself).
func (c *Client) sync(ctx context.Context, fn func() error) error {
	b := &barrier{fn: fn, done: make(chan struct{})}
	r := &c.rd
	r.mu.Lock()
	if r.exited {
		r.mu.Unlock()
		return ErrClosed
	}
	r.barriers = append(r.barriers, b)
	r.wake()
	r.mu.Unlock()
	select {
	case <-b.done:
		return b.err
	case <-r.done:
		return ErrClosed
	case <-ctx.Done():
		if b.state.CompareAndSwap(barrierWaiting, barrierCancelled) {
			return ctx.Err()
		}
		select {
		case <-b.done:
			return b.err
		case <-r.done:
			return ErrClosed
		}
	}
}

// read is the reader goroutine.
func (c *Client) read() {
	r := &c.rd
	for {
		r.mu.Lock()
		ctx := r.ctx
		r.mu.Unlock()
		m, err := c.cl.Read(ctx)
		if err == nil {
			c.route(m.Payload)
			continue
		}
		if ctx.Err() != nil && r.session.Err() == nil {
			c.runBarriers()
			continue
		}
		c.shutdown(err)
		return
	}
}

// runBarriers routes what has been received, then runs the barriers
// asked for, in order.
func (c *Client) runBarriers() {
	r := &c.rd
	r.mu.Lock()
	bs := r.barriers
	r.barriers = nil
	r.ctx, r.wake = context.WithCancel(r.session)
	r.mu.Unlock()
	c.drain()
	for _, b := range bs {
		if b.state.CompareAndSwap(barrierWaiting, barrierRunning) {
			b.err = b.fn()
			close(b.done)
		}
	}
}

// drain routes every message already received, without waiting.
func (c *Client) drain() {
	for {
		m, err := c.cl.Read(c.rd.now)
		if err != nil {
			return
		}
		c.route(m.Payload)
	}
}

// shutdown ends the session's calls and subscriptions with the reason the
// session ended, once the reader has stopped.
func (c *Client) shutdown(cause error) {
	r := &c.rd
	c.drain()
	err := sessionErr(cause)
	if c.ctx.Err() != nil {
		err = ErrClosed
	}
	c.mu.Lock()
	c.endErr = err
	var calls []*call
	for _, cl := range c.pending {
		if cl.remaining > 0 {
			calls = append(calls, cl)
		}
	}
	for _, cl := range calls {
		if cl.remaining > 0 {
			c.finish(cl, err)
		}
	}
	subs := make([]*Subscription, 0, len(c.active))
	for s := range c.active {
		subs = append(subs, s)
	}
	clear(c.active)
	clear(c.subs)
	c.mu.Unlock()
	for _, s := range subs {
		s.end(err)
	}
	r.mu.Lock()
	r.exited = true
	r.wake()
	r.mu.Unlock()
	close(r.done)
}
