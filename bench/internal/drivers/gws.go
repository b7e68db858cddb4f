package drivers

import (
	"context"
	"errors"
	"net"
	"sync/atomic"

	"github.com/lxzan/gws"
)

// GWS drives lxzan/gws the way it is built to be used: NewClient with
// default ClientOption (read limit raised to 64 MiB) and ReadLoop on a
// goroutine, messages arriving in OnMessage, which checks and counts them
// and gives each buffer back to gws's pool (Message.Close). Wait blocks
// until OnMessage has counted the messages Expect announced, so a round
// trip costs gws a hand-off between goroutines, as it would cost any
// application that waits for a reply. Write and Send are WriteMessage,
// which writes each message with one system call; gws has no buffered
// path for separate messages (Writev joins payloads into one message).
//
// ReadBuffer, when positive, replaces gws's 4 KiB read buffer
// (ClientOption.ReadBufferSize).
type GWS struct{ ReadBuffer int }

// Name implements Driver.
func (GWS) Name() string { return "gws" }

// Dial implements Driver.
func (gd GWS) Dial(ctx context.Context, url string, netDial NetDial) (Conn, error) {
	h := &gwsHandler{closed: make(chan struct{}), done: make(chan struct{}, 1)}
	o := &gws.ClientOption{Addr: url, ReadMaxPayloadSize: 64 << 20, ReadBufferSize: gd.ReadBuffer}
	if netDial != nil {
		// gws dials without a context; ctx still bounds the dial here.
		o.NewDialer = func() (gws.Dialer, error) { return gwsDialer{ctx, netDial}, nil }
	}
	c, _, err := gws.NewClient(h, o)
	if err != nil {
		return nil, err
	}
	g := &gwsConn{c: c, h: h}
	go c.ReadLoop()
	return g, nil
}

// gwsDialer adapts a NetDial to gws.Dialer.
type gwsDialer struct {
	ctx  context.Context
	dial NetDial
}

func (d gwsDialer) Dial(network, addr string) (net.Conn, error) { return d.dial(d.ctx, network, addr) }

// gwsBatch is one Expect: OnMessage counts into it and closes done at the
// end, or records the first error.
type gwsBatch struct {
	n     int
	check Check
	got   int
	err   error
}

type gwsHandler struct {
	gws.BuiltinEventHandler
	batch  atomic.Pointer[gwsBatch]
	done   chan struct{} // one token per completed batch
	closed chan struct{}
	cause  error
}

// errGWSUnexpected reports a message that arrived with no Expect open.
var errGWSUnexpected = errors.New("gws: message arrived with no Expect open")

func (h *gwsHandler) OnMessage(_ *gws.Conn, m *gws.Message) {
	defer m.Close()
	b := h.batch.Load()
	if b == nil || b.got >= b.n {
		return
	}
	if b.check != nil && b.err == nil {
		b.err = b.check(b.got, m.Opcode == gws.OpcodeText, m.Bytes())
	}
	b.got++
	if b.got == b.n {
		h.done <- struct{}{}
	}
}

func (h *gwsHandler) OnClose(_ *gws.Conn, err error) {
	h.cause = err
	close(h.closed)
}

type gwsConn struct {
	c *gws.Conn
	h *gwsHandler
	// batches alternate so Expect allocates nothing in steady state; a
	// batch is reused only after Wait has seen it complete.
	batches [2]gwsBatch
	next    int
}

func (g *gwsConn) Write(text bool, p []byte) error {
	op := gws.OpcodeBinary
	if text {
		op = gws.OpcodeText
	}
	return g.c.WriteMessage(op, p)
}

func (g *gwsConn) Send(p []byte) error { return g.c.WriteMessage(gws.OpcodeBinary, p) }

func (g *gwsConn) Flush() error { return nil }

func (g *gwsConn) Expect(n int, check Check) {
	b := &g.batches[g.next]
	g.next ^= 1
	*b = gwsBatch{n: n, check: check}
	g.h.batch.Store(b)
	if n == 0 {
		g.h.done <- struct{}{}
	}
}

func (g *gwsConn) Wait() error {
	b := g.h.batch.Load()
	if b == nil {
		return errGWSUnexpected
	}
	select {
	case <-g.h.done:
		return b.err
	case <-g.h.closed:
		if g.h.cause != nil {
			return g.h.cause
		}
		return errGWSUnexpected
	}
}

// Hold has nothing to do: ReadLoop already runs.
func (g *gwsConn) Hold() {}

// Close sends a close frame, waits for ReadLoop to see the server's
// answer and end, and closes the socket.
func (g *gwsConn) Close() error {
	err := g.c.WriteClose(1000, nil)
	<-g.h.closed
	_ = g.c.NetConn().Close()
	return err
}
