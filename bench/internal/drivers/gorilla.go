package drivers

import (
	"context"
	"time"

	"github.com/gorilla/websocket"
)

// Gorilla drives gorilla/websocket with its DefaultDialer (4 KiB
// buffers). Reads use NextReader and read the message into one reused
// buffer (ReadMessage would allocate a new slice each time). Write and
// Send are both WriteMessage: gorilla flushes every message (NextWriter's
// Close does too), so it has no buffered path and Flush has nothing to do.
//
// ReadBuffer, when positive, replaces the 4 KiB read buffer
// (Dialer.ReadBufferSize).
type Gorilla struct{ ReadBuffer int }

// Name implements Driver.
func (Gorilla) Name() string { return "gorilla" }

// Dial implements Driver.
func (g Gorilla) Dial(ctx context.Context, url string, netDial NetDial) (Conn, error) {
	d := *websocket.DefaultDialer
	d.NetDialContext = netDial
	if g.ReadBuffer > 0 {
		d.ReadBufferSize = g.ReadBuffer
	}
	c, _, err := d.DialContext(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	return &gorillaConn{c: c}, nil
}

type gorillaConn struct {
	c    *websocket.Conn
	buf  []byte
	exp  expectation
	hold holder
}

func (g *gorillaConn) Write(text bool, p []byte) error {
	typ := websocket.BinaryMessage
	if text {
		typ = websocket.TextMessage
	}
	return g.c.WriteMessage(typ, p)
}

func (g *gorillaConn) Send(p []byte) error { return g.c.WriteMessage(websocket.BinaryMessage, p) }

func (g *gorillaConn) Flush() error { return nil }

func (g *gorillaConn) Expect(n int, check Check) { g.exp = expectation{n, check} }

func (g *gorillaConn) Wait() error {
	for i := range g.exp.n {
		typ, r, err := g.c.NextReader()
		if err != nil {
			return err
		}
		g.buf, err = readInto(r, g.buf)
		if err != nil {
			return err
		}
		if g.exp.check != nil {
			if err := g.exp.check(i, typ == websocket.TextMessage, g.buf); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *gorillaConn) Hold() {
	g.hold.start(func() {
		for {
			if _, _, err := g.c.NextReader(); err != nil {
				return
			}
		}
	})
}

// Close sends a close frame and closes the socket, the shutdown gorilla's
// documentation describes.
func (g *gorillaConn) Close() error {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = g.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	err := g.c.Close()
	g.hold.wait()
	return err
}
