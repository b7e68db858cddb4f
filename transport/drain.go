package transport

import (
	"errors"
	"syscall"
	"time"
)

// A write that fails because the peer is gone (it closed its socket, and
// its TCP answered what we sent with a reset) does not end the Conn at
// once. What the peer sent before it closed may still sit in the kernel's
// receive buffer, readable: on Linux, data that arrived before the peer's
// FIN stays readable after the reset. Closing the socket on the write
// error would throw those messages away, and a writer that races the
// reader (a program starved of CPU, say) would lose them often. So only
// the write side breaks: later writes fail with the same error, no close
// frame is attempted, and the reader goes on until it reaches the end of
// what the peer sent, which ends the Conn with the write's error. If
// nobody reads that far within the close timeout, the Conn ends then.

// peerGone reports whether a failed write means the peer has gone away,
// as opposed to a stalled link or a local failure.
func peerGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// breakWrites fails the write side with cause and leaves the read side to
// drain, ending the Conn with cause within the close timeout. Called by a
// writer holding the frame lock.
func (c *Conn) breakWrites(cause *CloseError) {
	if !c.broken.CompareAndSwap(nil, cause) {
		return
	}
	c.closeSent.Store(true) // no close frame can reach the peer now
	t := time.AfterFunc(c.closeTimeout, func() { c.shutdown(cause) })
	c.drainTimer.Store(t)
	if c.ended.Load() {
		t.Stop() // shutdown ran before the timer was stored
	}
}

// writeErr is why writes fail: the connection ended, or its write side
// broke. nil while both are open.
func (c *Conn) writeErr() error {
	if err := c.Err(); err != nil {
		return err
	}
	if b := c.broken.Load(); b != nil {
		return b
	}
	return nil
}

// endCause is the cause a reader records when the stream ends: once the
// write side broke, the connection ended because the peer went away, and
// that write error says so better than the end of the stream.
func (c *Conn) endCause(ce *CloseError) *CloseError {
	if b := c.broken.Load(); b != nil {
		return b
	}
	return ce
}

// WriteBroken reports whether a write found the peer gone: writes fail,
// and the read side stays open until it has drained what the peer sent
// (or the close timeout passes), when the Conn ends. A program that keeps
// a connection after a write error can tell this from a local failure
// with it. Safe for concurrent use.
func (c *Conn) WriteBroken() bool { return c.broken.Load() != nil }
