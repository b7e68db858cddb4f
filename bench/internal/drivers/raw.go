package drivers

import (
	"bufio"
	"context"
	"net"
	"net/url"

	"github.com/sturdyws/sturdy/bench/internal/wsraw"
)

// The raw driver's buffer sizes. It reads with the largest buffer sturdy's
// adaptive one grows to (transport.MaxReadBufferSize), so that it stays
// the limit: on a busy socket the read system calls cost more than the
// framing, and a smaller buffer would make the limit pay more of them
// than sturdy does. It writes with the 4 KiB every library uses.
const (
	rawReadBuffer  = 64 << 10
	rawWriteBuffer = 4096
)

// Raw is the practical limit: the benchmark's own minimal framer over a
// TCP socket, doing only what RFC 6455 requires of a client (mask every
// frame, answer pings and close). Reads assemble each message into one
// reused buffer; writes mask straight into a bufio.Writer (Write flushes,
// Send does not). No locks, no contexts, no UTF-8 checks, no limits.
type Raw struct{}

// Name implements Driver.
func (Raw) Name() string { return "raw" }

// Dial implements Driver.
func (Raw) Dial(ctx context.Context, rawURL string, netDial NetDial) (Conn, error) {
	c, err := RawDial(ctx, rawURL, netDial)
	if err != nil {
		return nil, err
	}
	return &rawConn{c: c}, nil
}

// RawDial opens a wsraw client connection to rawURL (ws:// only) through
// netDial (a net.Dialer when nil). The reconnect scenario uses it for its
// hand-written baseline.
func RawDial(ctx context.Context, rawURL string, netDial NetDial) (*wsraw.Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if netDial == nil {
		netDial = new(net.Dialer).DialContext
	}
	nc, err := netDial(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(nc, rawReadBuffer)
	if err := wsraw.ClientHandshake(nc, br, u.Host, u.RequestURI()); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return wsraw.NewConn(nc, br, rawWriteBuffer, true), nil
}

type rawConn struct {
	c    *wsraw.Conn
	exp  expectation
	hold holder
}

func (r *rawConn) Write(text bool, p []byte) error {
	op := byte(wsraw.OpBinary)
	if text {
		op = wsraw.OpText
	}
	return r.c.WriteFlush(op, p)
}

func (r *rawConn) Send(p []byte) error { return r.c.WriteMessage(wsraw.OpBinary, p) }

func (r *rawConn) Flush() error { return r.c.Flush() }

func (r *rawConn) Expect(n int, check Check) { r.exp = expectation{n, check} }

func (r *rawConn) Wait() error {
	for i := range r.exp.n {
		op, p, err := r.c.ReadMessage()
		if err != nil {
			return err
		}
		if r.exp.check != nil {
			if err := r.exp.check(i, op == wsraw.OpText, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *rawConn) Hold() {
	r.hold.start(func() {
		for {
			if _, _, err := r.c.DiscardMessage(); err != nil {
				return
			}
		}
	})
}

// closeFrame returns a masked close frame with code 1000 and a zero key.
func closeFrame() []byte { return []byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8} }

// Close sends a close frame straight to the socket (a holding reader may
// be using the write buffer to answer the server's close) and closes it.
func (r *rawConn) Close() error {
	if r.hold.done == nil {
		_ = r.c.Flush()
	}
	_, _ = r.c.NC.Write(closeFrame())
	err := r.c.NC.Close()
	r.hold.wait()
	return err
}
