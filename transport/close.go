package transport

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// errCloseSent is the cause reported by writes after a close frame went out.
var errCloseSent = errors.New("transport: close frame already sent")

// Close performs the closing handshake (RFC 6455 §7.1.2): it sends a close
// frame with code and reason, waits up to the close timeout for the peer's
// close frame, then closes the network connection. Codes that may not be
// sent (1005, 1006, 1015, unassigned ones) and reasons over 123 bytes or not
// UTF-8 are refused before anything is sent. Close returns nil only when
// the handshake completed, which proves the peer read every frame sent
// before the close; otherwise it returns an error matching
// ErrCloseIncomplete, which also wraps why the connection ended if it ended
// first. The connection is closed in every case but a refused argument.
// Safe for concurrent use and idempotent.
func (c *Conn) Close(code StatusCode, reason string) error {
	if err := CheckCloseArgs(code, reason); err != nil {
		return err
	}
	defer c.idle.wait()
	if !c.closeSent.CompareAndSwap(false, true) {
		// A close frame went out already (another Close, an echo, or a
		// failure): the connection ends within the close timeout.
		t := time.NewTimer(c.closeTimeout)
		defer t.Stop()
		select {
		case <-c.closed:
		case <-t.C:
			c.shutdown(&CloseError{Code: code, Reason: reason})
		}
		return c.closeOutcome()
	}
	if err := c.wr.closeFrame(code, reason); err != nil {
		c.shutdown(&CloseError{Code: StatusAbnormalClosure, Err: err})
		return fmt.Errorf("%w: %w", ErrCloseIncomplete, err)
	}
	c.awaitPeerClose(&CloseError{Code: code, Reason: reason})
	return c.closeOutcome()
}

// closeOutcome reports whether the closing handshake completed.
func (c *Conn) closeOutcome() error {
	if b := c.broken.Load(); b != nil {
		// No close frame of ours went out: the peer's proves nothing.
		return fmt.Errorf("%w: %w", ErrCloseIncomplete, b)
	}
	select {
	case <-c.closeRcvd.get():
		return nil
	default:
	}
	select {
	case <-c.closed:
		if ce := c.closeErr; ce != nil && CloseStatus(ce) == StatusAbnormalClosure {
			return fmt.Errorf("%w: %w", ErrCloseIncomplete, ce)
		}
	default:
	}
	return ErrCloseIncomplete
}

// awaitPeerClose waits, up to the close timeout, for the peer's close
// frame, then ends the connection with cause. Whenever no goroutine is
// reading (none was, or the reader stopped while Close waited) it reads and
// discards itself, so Close completes on a connection that nobody reads.
// When it read the peer's close itself, it ends the connection before it
// lets go of the read side: a reader waiting for it would otherwise read
// on, meet the end of the stream the peer closed and record an abnormal
// closure instead of the completed handshake.
func (c *Conn) awaitPeerClose(cause error) {
	r := &c.rd
	deadline := time.Now().Add(c.closeTimeout)
	t := time.NewTimer(c.closeTimeout)
	defer t.Stop()
	reading := r.sem.tryAcquire() || r.sem.acquireOr(c.closeRcvd.get(), c.closed, t.C)
	if reading {
		r.ctx = context.Background()
		r.dl.arm(context.Background(), time.Until(deadline))
		for {
			if _, err := r.begin(); err != nil {
				break
			}
		}
		r.dl.disarm()
	}
	c.shutdown(cause)
	if reading {
		release(r.sem)
	}
}

// CloseNow closes the network connection at once, without a closing
// handshake; the peer sees an abnormal closure. Like Close, it returns once
// the Conn's own reading goroutine (see Conn) is gone. Safe for concurrent
// use and idempotent.
func (c *Conn) CloseNow() error {
	c.shutdown(&CloseError{Code: StatusAbnormalClosure, Reason: "closed locally by CloseNow"})
	c.idle.wait()
	return nil
}

// shutdown ends the connection once, recording why.
func (c *Conn) shutdown(cause error) {
	c.closeOnce.Do(func() {
		c.ended.Store(true)
		c.closeErr = cause
		close(c.closed)
		if t := c.drainTimer.Load(); t != nil {
			t.Stop()
		}
		c.idle.stop()
		_ = c.nc.Close()
	})
}
