package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
		c.attemptBegin(attempt)
		conn, err := c.connect()
		c.attemptEnd(err, ordinal+1)
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
			c.finishCancelled(attempt)
			return
		}
		retry := false
		c.guard("ShouldReconnect", func() { retry = c.opts.ShouldReconnect(err) })
		if c.ctx.Err() != nil {
			c.finishCancelled(attempt)
			return
		}
		retry = retry || (c.opts.ReconnectOnNormalClosure && isNormalClosure(err))
		delay := time.Duration(0)
		switch {
		case isAuthFailure(err) && !authRetried:
			// Credentials may simply have expired: one more try, at once,
			// with whatever Endpoint returns now.
			authRetried, retry = true, true
		case !retry:
			c.finish(Failed, err, attempt)
			return
		case !connected && c.opts.FailFirstAttempt:
			c.finish(Failed, err, attempt)
			return
		default:
			delay = b.NextBackOff()
			if delay == backoff.Stop {
				c.finish(Failed, errors.Join(ErrBackoffExhausted, err), attempt)
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
			c.finishCancelled(attempt)
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
	hookCtx := context.WithValue(c.ctx, clientKey{}, c)
	if c.opts.Endpoint != nil {
		var err error
		if !c.guard("Endpoint", func() { url, header, err = c.opts.Endpoint(hookCtx) }) {
			return nil, context.Cause(c.ctx)
		}
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
	if c.opts.InboundPolicy != InboundWait {
		// The reader never waits for the program, so the Conn's idle
		// responder would only cost a timer, and, on a loaded machine,
		// could take the read side before the reader starts and keep it
		// (and a fourth goroutine) until the first data frame.
		dopts.NoIdleReads = true
	}
	userPing := dopts.OnPing
	dopts.OnPing = func(p []byte) {
		// A server's ping is a sign of life too (AnyFrame mode counts it).
		if m := c.mon.Load(); m != nil {
			m.FrameReceived()
		}
		if userPing != nil {
			c.guard("Dial.OnPing", func() { userPing(p) })
		}
	}
	userPong := dopts.OnPong
	dopts.OnPong = func(p []byte) {
		if m := c.mon.Load(); m != nil {
			m.PongReceived(p)
		}
		c.pongReceived(p)
		if userPong != nil {
			c.guard("Dial.OnPong", func() { userPong(p) })
		}
	}
	c.attemptDialing(url, &dopts)
	conn, resp, err := transport.Dial(c.ctx, url, &dopts)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	c.attemptUpgraded()
	if c.opts.OnConnect != nil {
		if err := c.runOnConnect(hookCtx, conn); err != nil {
			_ = conn.CloseNow()
			return nil, err
		}
	}
	return conn, nil
}

// runOnConnect runs OnConnect on conn within OnConnectTimeout. A hook that
// overran its timeout has failed even if it returned nil: its connection
// was closed under it when the time ran out.
func (c *Client) runOnConnect(ctx context.Context, conn *transport.Conn) error {
	ctx, cancel := context.WithTimeoutCause(ctx, c.opts.OnConnectTimeout, ErrOnConnectTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = conn.CloseNow() })
	var err error
	ok := c.guard("OnConnect", func() { err = c.opts.OnConnect(ctx, conn) })
	stop()
	switch {
	case !ok || c.ctx.Err() != nil:
		return context.Cause(c.ctx)
	case ctx.Err() != nil:
		return &OnConnectError{Err: fmt.Errorf("%w (%v)", context.Cause(ctx), c.opts.OnConnectTimeout), Returned: err}
	case err != nil:
		return &OnConnectError{Err: err}
	}
	return nil
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
	level := slog.LevelInfo
	if to == Failed {
		level = slog.LevelError
	}
	c.opts.Logger.Log(context.Background(), level, "state", "from", from.String(), "to", to.String(), "cause", cause, "delay", delay, "attempt", attempt)
	c.observeState(ch)
	if f := c.opts.OnStateChange; f != nil {
		c.disp.schedule(func() { c.guard("OnStateChange", func() { f(ch) }) })
	}
}

// finishCancelled ends a session whose context was cancelled: Closed by
// Close or Start's context, Failed when a callback panicked.
func (c *Client) finishCancelled(attempt int) {
	cause := context.Cause(c.ctx)
	var pe *PanicError
	if errors.As(cause, &pe) {
		c.finish(Failed, cause, attempt)
		return
	}
	c.finish(Closed, cause, attempt)
}

// finish ends the session in a final state: it closes the queue, reports
// what was left in it, and records the error later calls return.
func (c *Client) finish(to State, cause error, attempt int) {
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
	if !isDurable(c.q) {
		_ = c.q.Drain(func(e queue.Entry) {
			c.deadLetter(deadLetter(e, ReasonClosed, nil))
		})
	}
	c.setState(to, cause, 0, attempt, 0)
}

// isDurable reports a queue that keeps its entries across Close, whose
// leftovers are therefore not lost.
func isDurable(q queue.Queue) bool {
	d, ok := q.(interface{ Durable() bool })
	return ok && d.Durable()
}
