package client

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// supervise is the Client's main goroutine: it connects, serves the
// connection (it is also the queue's single writer), and decides after
// each failure whether and when to try again. It owns every other
// goroutine of the session and waits for them before it returns.
func (c *Client) supervise() {
	defer close(c.done)
	b := c.opts.Backoff
	b.Reset()
	attempt := 0
	connected := false
	authRetried := false
	var ordinal uint64
	for {
		attempt++
		c.stats.attempts.Add(1)
		c.setState(Connecting, nil, 0, attempt, 0)
		// Cleared before OnConnect, which may call MarkHealthy itself.
		c.healthy.Store(false)
		conn, err := c.connect()
		if err == nil {
			ordinal++
			connected, authRetried = true, false
			c.stats.connects.Add(1)
			c.setState(Connected, nil, 0, attempt, ordinal)
			attempt = 0
			err = c.serve(conn, ordinal)
			if c.healthy.Load() && !isTryAgainLater(err) {
				b.Reset()
			}
		}
		if c.ctx.Err() != nil {
			c.finish(Closed, context.Cause(c.ctx))
			return
		}
		c.opts.Logger.Info("connection ended", "cause", err)
		retry := c.opts.ShouldReconnect(err) || (c.opts.ReconnectOnNormalClosure && isNormalClosure(err))
		delay := time.Duration(0)
		switch {
		case isAuthFailure(err) && !authRetried:
			// Credentials may simply have expired: one more try, at once,
			// with whatever Endpoint returns now.
			authRetried, retry = true, true
		case !retry:
			c.finish(Failed, err)
			return
		case !connected && c.opts.FailFirstAttempt:
			c.finish(Failed, err)
			return
		default:
			delay = b.NextBackOff()
			if delay == backoff.Stop {
				c.finish(Failed, errors.Join(ErrBackoffExhausted, err))
				return
			}
			if isTryAgainLater(err) {
				// 1013: the server asked us to come back later; the
				// interval after this one is the earliest that honours it.
				if d := b.NextBackOff(); d != backoff.Stop {
					delay = max(delay, d)
				}
			}
			delay = max(delay, retryAfter(err))
		}
		c.setState(Reconnecting, err, delay, attempt, 0)
		if !c.sleep(delay) {
			c.finish(Closed, context.Cause(c.ctx))
			return
		}
	}
}

// sleep waits d, or until the session ends (returning false).
func (c *Client) sleep(d time.Duration) bool {
	if d <= 0 {
		return c.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// connect dials and runs OnConnect.
func (c *Client) connect() (*transport.Conn, error) {
	url, header := c.opts.URL, http.Header(nil)
	if c.opts.Endpoint != nil {
		var err error
		url, header, err = c.opts.Endpoint(c.ctx)
		if err != nil {
			return nil, err
		}
	}
	dopts := c.opts.Dial
	if len(header) > 0 {
		dopts.Header = dopts.Header.Clone()
		if dopts.Header == nil {
			dopts.Header = http.Header{}
		}
		for k, v := range header {
			dopts.Header[k] = v
		}
	}
	userPing := dopts.OnPing
	dopts.OnPing = func(p []byte) {
		// A server's ping is a sign of life too (AnyFrame mode counts it).
		if m := c.mon.Load(); m != nil {
			m.FrameReceived()
		}
		if userPing != nil {
			userPing(p)
		}
	}
	userPong := dopts.OnPong
	dopts.OnPong = func(p []byte) {
		if m := c.mon.Load(); m != nil {
			m.PongReceived(p)
		}
		c.pongReceived(p)
		if userPong != nil {
			userPong(p)
		}
	}
	conn, resp, err := transport.Dial(c.ctx, url, &dopts)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	if c.opts.OnConnect != nil {
		ctx, cancel := context.WithTimeout(c.ctx, c.opts.OnConnectTimeout)
		stop := context.AfterFunc(ctx, func() { _ = conn.CloseNow() })
		err := c.opts.OnConnect(ctx, conn)
		stop()
		cancel()
		if err != nil {
			_ = conn.CloseNow()
			if c.ctx.Err() != nil {
				return nil, context.Cause(c.ctx)
			}
			return nil, &OnConnectError{Err: err}
		}
	}
	return conn, nil
}

// setState records a transition and reports it.
func (c *Client) setState(to State, cause error, delay time.Duration, attempt int, ordinal uint64) {
	from := State(c.state.Swap(int32(to)))
	if from == to {
		// Only the first attempt gets here: the session starts in
		// Connecting, which is not a transition to report.
		return
	}
	c.mu.Lock()
	close(c.stateCh)
	c.stateCh = make(chan struct{})
	c.mu.Unlock()
	ch := StateChange{From: from, To: to, Cause: cause, Delay: delay, Attempt: attempt, Conn: ordinal, At: time.Now()}
	c.opts.Logger.Info("state", "from", from.String(), "to", to.String(), "cause", cause, "delay", delay)
	if f := c.opts.OnStateChange; f != nil {
		c.disp.schedule(func() { f(ch) })
	}
}

// finish ends the session in a final state: it closes the queue, reports
// what was left in it, and records the error later calls return.
func (c *Client) finish(to State, cause error) {
	// The end error is in place before the queue closes, so a Send racing
	// with the end gets it rather than the queue's ErrClosed.
	c.mu.Lock()
	if to == Closed {
		c.endErr = ErrClosed
	} else {
		c.endErr = &failedError{cause: cause}
	}
	c.mu.Unlock()
	_ = c.q.Close()
	undelivered := 0
	if !isDurable(c.q) {
		_ = c.q.Drain(func(e queue.Entry) {
			undelivered++
			c.deadLetter(deadLetter(e, ReasonClosed, nil))
		})
	}
	if to == Closed && undelivered > 0 && c.opts.OnDeadLetter == nil {
		c.mu.Lock()
		c.closeErr = ErrUndelivered
		c.mu.Unlock()
	}
	c.setState(to, cause, 0, 0, 0)
}

// isDurable reports a queue that keeps its entries across Close, whose
// leftovers are therefore not lost.
func isDurable(q queue.Queue) bool {
	d, ok := q.(interface{ Durable() bool })
	return ok && d.Durable()
}
