package client

import (
	"context"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// connEnd ends one connection: whatever ends it first (the reader's error,
// a dead peer, a failed write) calls end, which drops the socket so that
// the rest unblocks. On Close the supervisor closes with 1000 instead,
// once the writer lets go; a peer that stopped reading can hold the writer
// forever, so closing arms a grace timer that drops the socket after the
// close timeout anyway. A write that found the peer gone leaves the socket
// to the reader (draining): what the peer sent before it closed is still
// to be read, and the transport ends the connection within its close
// timeout.
//
// It is called directly rather than run by context.AfterFunc on the
// connection's context: that would give the context a table of watchers
// for the connection's whole life, a few hundred bytes an idle Client
// does not need. Only Close is watched, on the Client's own context, whose
// table exists anyway.
type connEnd struct {
	c          *Client
	conn       *transport.Conn
	cancel     context.CancelCauseFunc // the connection's context
	stopReader context.CancelFunc      // the reader's waits
	grace      *time.Timer
	cf         *confirmer  // AtMostOnce's, or nil
	ws         writerState // the writer's, between batches (idle.go)

	mu       sync.Mutex
	draining bool // a write found the peer gone; the reader drains
	dropped  bool // the socket was dropped by end
	over     bool // serve is returning: a late closing does nothing
}

func newConnEnd(c *Client, conn *transport.Conn, cancel context.CancelCauseFunc, stopReader context.CancelFunc) *connEnd {
	e := &connEnd{c: c, conn: conn, cancel: cancel, stopReader: stopReader}
	e.grace = time.AfterFunc(time.Hour, func() { _ = conn.CloseNow() })
	e.grace.Stop()
	return e
}

// end ends the connection with cause, unless it has ended already. During
// Close, the closing handshake and its grace timer end it instead.
func (e *connEnd) end(cause error) {
	e.cancel(cause)
	if e.c.ctx.Err() != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.draining || e.dropped || e.over {
		return
	}
	e.dropped = true
	_ = e.conn.CloseNow()
	e.stopReader()
}

// writeFailed ends the connection on the writer's error. The transport
// keeps a connection open after a failed write only while its reader
// drains what the gone peer sent; it reports whether that is so.
func (e *connEnd) writeFailed(ctx context.Context, err error) (draining bool) {
	e.mu.Lock()
	e.draining = ctx.Err() == nil && e.conn.Err() == nil && e.conn.WriteBroken()
	draining = e.draining
	e.mu.Unlock()
	e.end(err)
	return draining
}

// readerDone is called by the reader as it stops: a drain it was part of
// is over, whatever ended it.
func (e *connEnd) readerDone() {
	e.mu.Lock()
	draining := e.draining
	e.mu.Unlock()
	if draining {
		_ = e.conn.CloseNow()
	}
}

// closing arms the grace timer, when Close ends the session.
func (e *connEnd) closing() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.over {
		e.grace.Reset(e.c.closeTimeout())
	}
}

// finish disarms everything as serve returns.
func (e *connEnd) finish() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.over = true
	e.grace.Stop()
}
