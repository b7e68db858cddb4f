// Package memconn is a WebSocket server held in memory, behind a net.Conn,
// for the decode scenarios: it answers the opening handshake and, once the
// client sends its first data message (the go-ahead), serves the same run
// of frames over and over, every Read filled as far as its buffer goes,
// like a socket that always has the next bytes waiting.
// With no kernel and no server process in the way, what a library spends
// per message is its own framing and API cost, plus one memory copy per
// byte that every library pays alike.
package memconn

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/payload"
	"github.com/sturdyws/sturdy/bench/internal/wsraw"
)

// Stream is a run of Cycle binary messages of Size bytes, encoded once;
// message i of a connection carries sequence number i % Cycle.
type Stream struct {
	Size  int
	Cycle int
	wire  []byte // the encoded frames
	frame int    // bytes per frame
}

// NewStream encodes cycle messages of size bytes.
func NewStream(size, cycle int) *Stream {
	s := &Stream{Size: size, Cycle: cycle}
	p := payload.New(size)
	for i := range cycle {
		payload.Stamp(p, uint64(i))
		s.wire = wsraw.AppendHeader(s.wire, wsraw.Header{Fin: true, Op: wsraw.OpBinary, Length: int64(size)})
		s.wire = append(s.wire, p...)
	}
	s.frame = len(s.wire) / cycle
	return s
}

// Dial returns a dial function that opens a new Conn serving s; its
// network and address are ignored.
func (s *Stream) Dial() func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) {
		c := &Conn{s: s}
		c.changed.L = &c.mu
		return c, nil
	}
}

// closeFrame is the server's answer to the client's close: 1000.
var closeFrame = []byte{0x80 | wsraw.OpClose, 2, 0x03, 0xe8}

// errClosed is what Read and Write return after Close.
var errClosed = errors.New("memconn: closed")

// Conn is one connection to a Stream. Writes before the handshake is
// answered make up the request; later writes are discarded, except that
// the first data frame starts the stream and a close frame makes the
// server finish the frame it is in, answer with its own close frame and
// end the stream.
type Conn struct {
	s *Stream

	mu      sync.Mutex
	changed sync.Cond // signalled by every Write and Close, for a Read with nothing to read
	request []byte    // the opening handshake so far
	pending []byte    // the handshake answer, then the close frame, still to read
	pos     int       // bytes of the stream served
	upgrade bool      // the answer has been made
	started bool      // the client's go-ahead came: the stream runs
	closing bool      // the client sent a close frame
	end     int       // with closing: the stream stops at this offset
	closed  bool
}

// Read implements net.Conn.
func (c *Conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Before the request and between the answer and the go-ahead there is
	// nothing to read: block, as a socket does (net/http's transport
	// starts reading before it writes the request).
	for !c.closed && !c.closing && (!c.upgrade || len(c.pending) == 0 && !c.started) {
		c.changed.Wait()
	}
	switch {
	case c.closed:
		return 0, errClosed
	case len(c.pending) > 0 && (!c.closing || c.pos == c.end):
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	case c.closing && c.pos == c.end:
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && (!c.closing || c.pos < c.end) {
		off := c.pos % len(c.s.wire)
		chunk := c.s.wire[off:]
		if c.closing {
			chunk = chunk[:min(len(chunk), c.end-c.pos)]
		}
		k := copy(p[n:], chunk)
		n += k
		c.pos += k
	}
	return n, nil
}

// Write implements net.Conn.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, errClosed
	}
	if !c.upgrade {
		c.request = append(c.request, p...)
		if bytes.Contains(c.request, []byte("\r\n\r\n")) {
			var answer bytes.Buffer
			if _, err := wsraw.ServerHandshake(bufio.NewReader(bytes.NewReader(c.request)), &answer); err != nil {
				return 0, err
			}
			c.pending, c.upgrade = answer.Bytes(), true
			c.changed.Broadcast()
		}
		return len(p), nil
	}
	// What the clients write here is whole frames, each in one write
	// (the go-ahead, pings, pongs, a close), so the first byte of a write
	// is FIN|opcode.
	switch {
	case len(p) == 0 || c.closing:
	case p[0]&0x0f == wsraw.OpText || p[0]&0x0f == wsraw.OpBinary:
		c.started = true
		c.changed.Broadcast()
	case p[0] == 0x80|wsraw.OpClose:
		c.closing = true
		c.end = (c.pos + c.s.frame - 1) / c.s.frame * c.s.frame
		c.pending = append(c.pending[:0], closeFrame...)
		c.changed.Broadcast()
	}
	return len(p), nil
}

// Close implements net.Conn.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.changed.Broadcast()
	return nil
}

type addr struct{}

func (addr) Network() string { return "memory" }
func (addr) String() string  { return "memconn" }

// LocalAddr implements net.Conn.
func (c *Conn) LocalAddr() net.Addr { return addr{} }

// RemoteAddr implements net.Conn.
func (c *Conn) RemoteAddr() net.Addr { return addr{} }

// SetDeadline implements net.Conn; a Read never blocks, so there is nothing
// to bound.
func (c *Conn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline implements net.Conn.
func (c *Conn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline implements net.Conn.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }
