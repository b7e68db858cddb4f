package drivers

import (
	"bufio"
	"cmp"
	"context"
	"net"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// gobwasBuffer is the size of the bufio buffers the driver puts around the
// socket, the same as the other libraries' defaults. gobwas leaves
// buffering to the caller.
const gobwasBuffer = 4096

// Gobwas drives gobwas/ws the low-level way its documentation shows for
// speed: ws.Dialer for the handshake, a bufio.Reader (the Dialer's own
// when it returns one) under a wsutil.Reader, whose NextFrame and Read
// assemble each message into one reused buffer, with control frames
// answered by wsutil.ControlFrameHandler. Writes are ws.WriteHeader plus
// the payload masked with ws.Cipher in a reused scratch buffer, into a
// bufio.Writer: Write flushes, Send does not (so a stream shares system
// calls), Flush flushes. wsutil.WriteClientMessage is not used because it
// masks the caller's slice in place.
//
// ReadBuffer, when positive, replaces the 4 KiB of the driver's own
// bufio.Reader.
type Gobwas struct{ ReadBuffer int }

// Name implements Driver.
func (Gobwas) Name() string { return "gobwas" }

// Dial implements Driver.
func (gb Gobwas) Dial(ctx context.Context, url string, netDial NetDial) (Conn, error) {
	var d ws.Dialer
	if netDial != nil {
		d.NetDial = netDial
	}
	nc, br, _, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	if br == nil {
		br = bufio.NewReaderSize(nc, cmp.Or(gb.ReadBuffer, gobwasBuffer))
	}
	g := &gobwasConn{nc: nc, bw: bufio.NewWriterSize(nc, gobwasBuffer)}
	g.rd = wsutil.Reader{
		Source:         br,
		State:          ws.StateClientSide,
		OnIntermediate: wsutil.ControlFrameHandler(flushWriter{g.bw}, ws.StateClientSide),
	}
	g.ctl = g.rd.OnIntermediate
	return g, nil
}

// flushWriter writes a control frame through the write buffer and flushes
// it, so it can never land inside a buffered data frame.
type flushWriter struct{ bw *bufio.Writer }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.bw.Write(p)
	if err == nil {
		err = f.bw.Flush()
	}
	return n, err
}

type gobwasConn struct {
	nc      net.Conn
	bw      *bufio.Writer
	rd      wsutil.Reader
	ctl     wsutil.FrameHandlerFunc
	buf     []byte
	scratch []byte
	exp     expectation
	hold    holder
}

func (g *gobwasConn) write(op ws.OpCode, p []byte) error {
	h := ws.Header{Fin: true, OpCode: op, Masked: true, Mask: ws.NewMask(), Length: int64(len(p))}
	if err := ws.WriteHeader(g.bw, h); err != nil {
		return err
	}
	g.scratch = append(g.scratch[:0], p...)
	ws.Cipher(g.scratch, h.Mask, 0)
	_, err := g.bw.Write(g.scratch)
	return err
}

func (g *gobwasConn) Write(text bool, p []byte) error {
	op := ws.OpBinary
	if text {
		op = ws.OpText
	}
	if err := g.write(op, p); err != nil {
		return err
	}
	return g.bw.Flush()
}

func (g *gobwasConn) Send(p []byte) error { return g.write(ws.OpBinary, p) }

func (g *gobwasConn) Flush() error { return g.bw.Flush() }

func (g *gobwasConn) Expect(n int, check Check) { g.exp = expectation{n, check} }

// next reads one data message into g.buf.
func (g *gobwasConn) next() (ws.OpCode, error) {
	for {
		h, err := g.rd.NextFrame()
		if err != nil {
			return 0, err
		}
		if h.OpCode.IsControl() {
			if err := g.ctl(h, &g.rd); err != nil {
				return 0, err
			}
			continue
		}
		g.buf, err = readInto(&g.rd, g.buf)
		return h.OpCode, err
	}
}

func (g *gobwasConn) Wait() error {
	for i := range g.exp.n {
		op, err := g.next()
		if err != nil {
			return err
		}
		if g.exp.check != nil {
			if err := g.exp.check(i, op == ws.OpText, g.buf); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *gobwasConn) Hold() {
	g.hold.start(func() {
		for {
			if _, err := g.next(); err != nil {
				return
			}
		}
	})
}

// Close sends a close frame and closes the socket.
func (g *gobwasConn) Close() error {
	if g.hold.done == nil {
		_ = g.bw.Flush()
	}
	// Straight to the socket: a holding reader may be using the buffer to
	// answer the server's close.
	frame := ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))
	_ = ws.WriteFrame(g.nc, ws.MaskFrameInPlace(frame))
	err := g.nc.Close()
	g.hold.wait()
	return err
}
