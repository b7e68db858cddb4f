package wstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// Conn is the server's side of one accepted connection, as Behavior hooks
// see it. Its methods are safe for concurrent use.
type Conn struct {
	srv      *Server
	ordinal  int
	path     string
	header   http.Header // shared with the Handshake record; never modified
	behavior Behavior
	flap     bool // drop right after the 101 (FlapNext)
	nc       net.Conn
	opened   time.Time

	// ready is closed once the handshake is over; tc is set before, and
	// is nil if the 101 could not be written.
	ready chan struct{}
	tc    *transport.Conn

	// ctx ends with the connection or the server; it stops every goroutine
	// of the connection.
	ctx    context.Context
	cancel context.CancelFunc
	// readCtx is ctx, also cancelled by a stall to pull the reader out of
	// a blocked Read.
	readCtx    context.Context
	cancelRead context.CancelFunc
	// readMu is held for each Read, so a stall can wait for the reader to
	// be out of the socket.
	readMu  sync.Mutex
	stalled atomic.Bool
	stallCh chan struct{} // closed by the stall
	// closing is set when a CloseWith fault fires, before its goroutine
	// sends the close frame, so no message the server writes afterwards
	// can overtake it.
	closing atomic.Bool
	// wmu serialises the server's writes, so latency delays each message in
	// turn and raw bytes never land inside a message.
	wmu sync.Mutex

	mu     sync.Mutex
	ending bool           // set before wg.Wait: no goroutine may be added
	wg     sync.WaitGroup // Open hooks, timed rules, closing handshakes

	// Guarded by srv.mu.
	info    ConnInfo
	written int // messages fully written, which AfterSent counts
	rules   []Rule
	fired   []bool
}

func newConn(s *Server, parent context.Context, nc net.Conn, ordinal, attempt int, req *http.Request, header http.Header, b Behavior) *Conn {
	c := &Conn{
		srv:      s,
		ordinal:  ordinal,
		path:     req.URL.Path,
		header:   header,
		behavior: b,
		nc:       nc,
		ready:    make(chan struct{}),
		stallCh:  make(chan struct{}),
		opened:   time.Now(),
	}
	c.info = ConnInfo{
		Ordinal: ordinal,
		Attempt: attempt,
		Path:    req.URL.Path,
		Opened:  c.opened,
		Live:    true,
	}
	c.ctx, c.cancel = context.WithCancel(parent)
	c.readCtx, c.cancelRead = context.WithCancel(c.ctx)
	return c
}

// Ordinal returns the connection's number: 1, 2, 3… in handshake order.
func (c *Conn) Ordinal() int { return c.ordinal }

// Path returns the URL path the connection was opened on.
func (c *Conn) Path() string { return c.path }

// Header returns a copy of the handshake request's header.
func (c *Conn) Header() http.Header { return c.header.Clone() }

// Write sends one message to the client, after the server's latency (see
// Server.SetLatency), and counts it as sent, which may fire a Rule. It
// returns ErrStalled on a stalled connection, and an error matching
// transport.ErrClosed once the connection has ended or a CloseWith fault
// has begun its closing handshake. Messages are written whole, one at a
// time; those written from one goroutine arrive in order.
func (c *Conn) Write(ctx context.Context, typ transport.MessageType, p []byte) error {
	if err := c.writable(); err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.delay(ctx); err != nil {
		return err
	}
	if err := c.writable(); err != nil {
		return err
	}
	// Counted before the write, so a client that has read the message
	// finds it counted; uncounted if the write fails.
	c.srv.countSent(c, 1)
	if err := c.tc.Write(ctx, typ, p); err != nil {
		c.srv.countSent(c, -1)
		return err
	}
	for _, f := range c.srv.recordWritten(c) {
		_ = c.apply(f, true, false)
	}
	return nil
}

// errClosing is returned by writes after a CloseWith fault.
var errClosing = fmt.Errorf("wstest: closing handshake started: %w", transport.ErrClosed)

// writable reports why a message may not be written now, if it may not.
func (c *Conn) writable() error {
	switch {
	case c.stalled.Load():
		return ErrStalled
	case c.closing.Load():
		return errClosing
	}
	return nil
}

// delay waits out the server's latency before a write.
func (c *Conn) delay(ctx context.Context) error {
	d := c.srv.currentLatency()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.ctx.Done():
		return transport.ErrClosed
	case <-c.stallCh:
		return ErrStalled
	}
}

// start ends the handshake: tc is the upgraded connection, or nil if the
// 101 could not be written.
func (c *Conn) start(tc *transport.Conn) {
	c.tc = tc
	close(c.ready)
	if tc == nil || c.flap {
		c.kill()
	}
}

// serve runs the connection on the goroutine that accepted it: it starts
// the behaviour and the script, then reads until the connection ends.
func (c *Conn) serve() {
	if c.tc != nil && c.ctx.Err() == nil {
		c.runDue()
		if open := c.behavior.Open; open != nil {
			c.spawn(func() { open(c.ctx, c) })
		}
		c.startTimers()
	}
	var err error
	for c.tc != nil {
		var typ transport.MessageType
		var p []byte
		typ, p, err = c.read()
		if err != nil {
			break
		}
		m, due := c.srv.recordReceived(c, typ, p)
		for _, f := range due {
			_ = c.apply(f, false, false)
		}
		if h := c.behavior.Message; h != nil && !c.stalled.Load() && c.ctx.Err() == nil {
			m.Data = bytes.Clone(m.Data)
			h(c.ctx, c, m)
		}
	}
	c.finish(err)
}

// read reads the next message. Once the connection is stalled it stops
// reading and waits for the connection to end.
func (c *Conn) read() (transport.MessageType, []byte, error) {
	c.readMu.Lock()
	if c.stalled.Load() {
		c.readMu.Unlock()
		c.awaitEnd()
		return 0, nil, ErrStalled
	}
	typ, p, err := c.tc.Read(c.readCtx)
	c.readMu.Unlock()
	if err != nil && c.stalled.Load() {
		// The stall cancelled the read; stay silent until the end.
		c.awaitEnd()
	}
	return typ, p, err
}

func (c *Conn) awaitEnd() {
	select {
	case <-c.ctx.Done():
	case <-c.tc.Done():
	}
}

// spawn runs f on a goroutine the connection waits for before it ends. It
// does nothing once the connection is ending.
func (c *Conn) spawn(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ending {
		return
	}
	c.wg.Go(f)
}

// kill closes the connection at once, without a close frame, and stops its
// goroutines. Idempotent.
func (c *Conn) kill() {
	c.cancel()
	select {
	case <-c.ready:
		if c.tc != nil {
			_ = c.tc.CloseNow()
			return
		}
	default:
	}
	// Still in the handshake: the transport Conn does not exist yet.
	_ = c.nc.Close()
}

// finish ends the connection once its reader has stopped with readErr: it
// waits for the connection's goroutines, then records the end.
func (c *Conn) finish(readErr error) {
	c.kill()
	c.mu.Lock()
	c.ending = true
	c.mu.Unlock()
	c.wg.Wait()
	c.srv.connEnded(c, c.endCause(readErr))
}

// endCause picks what to record as the reason the connection ended: the
// frame or violation that ended the read loop, or else whatever ended the
// transport Conn. When the server started a closing handshake, the read
// returns the client's answer before the closing goroutine has recorded
// it, so the read's error is the one that tells.
func (c *Conn) endCause(readErr error) error {
	if c.tc == nil {
		return &transport.CloseError{Code: transport.StatusAbnormalClosure, Reason: "101 response could not be written"}
	}
	if readErr != nil && !errors.Is(readErr, transport.ErrClosed) && transport.CloseStatus(readErr) >= 0 {
		return readErr
	}
	return c.tc.Err()
}
