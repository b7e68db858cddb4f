package client

import (
	"context"
	"time"
)

// Close ends the session: it closes the connection with 1000, stops every
// goroutine the Client started and returns once they are gone and every
// callback has run. Messages still queued are reported to OnDeadLetter
// with ReasonClosed (a durable queue keeps them instead). With no
// OnDeadLetter set, Close returns an *UndeliveredError (matching
// ErrUndelivered) when any message of the session went undelivered, for
// whatever reason, with the counts by reason; otherwise it returns nil.
// Call Flush first to wait for the queue to empty. Close must not be
// called from a callback (it waits for callbacks to finish); use go
// c.Close(), or wait on Done instead. Idempotent.
func (c *Client) Close() error {
	c.cancel(ErrClosed)
	<-c.done
	// The queue is closed: calls still inside it finish at once, and their
	// drop reports are scheduled before the dispatcher stops. Taking the
	// gate for writing waits for every such call to leave.
	c.awaitQueueCallers()
	c.disp.stop()
	c.deadLog.flush(c.opts.Logger)
	if c.opts.OnDeadLetter != nil {
		return nil
	}
	if u := c.undelivered(); u != nil {
		return u
	}
	return nil
}

// awaitQueueCallers returns once no Send, Ack or AckThrough is inside the
// queue: they hold the gate for reading while they are.
func (c *Client) awaitQueueCallers() {
	c.gate.Lock()
	defer c.gate.Unlock()
	c.gateClosed = true
}

// Done returns a channel closed when the session has ended, Closed or
// Failed, as context.Context's Done does: a program can wait on it
// instead of watching OnStateChange. Callbacks may still be running when
// it closes; Close waits for them.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns nil while the session runs; after it has ended, an error
// matching ErrClosed (the program closed it) or ErrFailed (wrapping the
// cause: the policy gave up, or a callback panicked with a *PanicError).
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.ended()
	default:
		return nil
	}
}

// Flush waits until every message queued so far has left the queue:
// confirmed read by the server (AtMostOnce), acknowledged (AtLeastOnce), or
// reported to OnDeadLetter. It returns the session's end error if the
// session has ended (a Failed session's failure, even with the queue
// empty), or ctx's error. It polls the queue depth, so it is for shutdown
// paths, not hot loops.
func (c *Client) Flush(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if err := c.Err(); err != nil {
			return err
		}
		if n, _ := c.q.Len(); n == 0 {
			return nil
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
		}
	}
}

// ended returns the session's end error, or nil while it runs.
func (c *Client) ended() error {
	c.mu.Lock()
	err := c.endErr
	c.mu.Unlock()
	if err == nil && c.ctx.Err() != nil {
		err = ErrClosed
	}
	return err
}

// clientKey is the context key under which OnConnect's and Endpoint's
// contexts carry their Client.
type clientKey struct{}

// FromContext returns the Client whose OnConnect or Endpoint was given
// ctx, so a hook can call MarkHealthy (or Stats) without a variable of the
// program's holding the Client.
func FromContext(ctx context.Context) (*Client, bool) {
	c, ok := ctx.Value(clientKey{}).(*Client)
	return c, ok
}
