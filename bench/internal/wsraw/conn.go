package wsraw

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
)

// ErrClosed is returned by ReadMessage once the peer's close frame has
// been read and answered.
var ErrClosed = errors.New("wsraw: closed by peer")

// Conn is a framed connection: whole messages in and out, nothing else.
// Reads and writes each belong to one goroutine; nothing is locked.
type Conn struct {
	NC net.Conn
	BR *bufio.Reader
	BW *bufio.Writer
	// Client makes the Conn mask what it sends (RFC 6455 §5.3).
	Client bool

	// Compressed reports whether the message ReadMessage last returned
	// had RSV1 on its first frame (permessage-deflate).
	Compressed bool

	rng uint64 // xorshift state for masking keys: cheap, seeded per conn
	buf []byte // the message being read; reused
	z   *deflater
}

// NewConn wraps nc, whose handshake is done, with br (the reader the
// handshake used) and a write buffer of wsize bytes.
func NewConn(nc net.Conn, br *bufio.Reader, wsize int, client bool) *Conn {
	c := &Conn{NC: nc, BR: br, BW: bufio.NewWriterSize(nc, wsize), Client: client}
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	c.rng = binary.LittleEndian.Uint64(seed[:]) | 1
	return c
}

// ReadMessage returns the next data message's opcode and payload. The
// payload lives in a buffer the Conn reuses: it is valid until the next
// call. Pings are answered (and flushed) on the way; a close frame is
// answered with the same code and ends the stream with ErrClosed.
func (c *Conn) ReadMessage() (byte, []byte, error) {
	c.buf = c.buf[:0]
	var op byte
	for {
		h, err := ReadHeader(c.BR)
		if err != nil {
			return 0, nil, err
		}
		if h.Op >= OpClose {
			if err := c.control(h); err != nil {
				return 0, nil, err
			}
			continue
		}
		if h.Op != OpContinuation {
			op, c.Compressed = h.Op, h.Rsv1
		}
		start := len(c.buf)
		c.buf = grow(c.buf, int(h.Length))
		if _, err := io.ReadFull(c.BR, c.buf[start:]); err != nil {
			return 0, nil, noEOF(err)
		}
		if h.Masked {
			Mask(c.buf[start:], h.Key, 0)
		}
		if h.Fin {
			return op, c.buf, nil
		}
	}
}

// DiscardMessage reads the next data message and throws its payload away
// without copying it, returning its opcode and size. Control frames are
// handled as in ReadMessage.
func (c *Conn) DiscardMessage() (byte, int64, error) {
	var op byte
	var size int64
	for {
		h, err := ReadHeader(c.BR)
		if err != nil {
			return 0, 0, err
		}
		if h.Op >= OpClose {
			if err := c.control(h); err != nil {
				return 0, 0, err
			}
			continue
		}
		if h.Op != OpContinuation {
			op = h.Op
		}
		if _, err := c.BR.Discard(int(h.Length)); err != nil {
			return 0, 0, noEOF(err)
		}
		size += h.Length
		if h.Fin {
			return op, size, nil
		}
	}
}

// control answers a ping or a close frame and ignores a pong.
func (c *Conn) control(h Header) error {
	var p [125]byte
	b := p[:h.Length]
	if _, err := io.ReadFull(c.BR, b); err != nil {
		return noEOF(err)
	}
	if h.Masked {
		Mask(b, h.Key, 0)
	}
	switch h.Op {
	case OpPing:
		return c.WriteFlush(OpPong, b)
	case OpClose:
		_ = c.WriteFlush(OpClose, b)
		return ErrClosed
	}
	return nil
}

// grow returns b extended by n bytes, reallocating only when it must.
func grow(b []byte, n int) []byte {
	if need := len(b) + n; need > cap(b) {
		nb := make([]byte, len(b), need)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// WriteMessage buffers p as one final frame with opcode op; it reaches the
// network when the buffer fills or on Flush.
func (c *Conn) WriteMessage(op byte, p []byte) error {
	h := Header{Fin: true, Op: op, Length: int64(len(p)), Masked: c.Client}
	if c.Client {
		c.rng ^= c.rng << 13
		c.rng ^= c.rng >> 7
		c.rng ^= c.rng << 17
		binary.LittleEndian.PutUint32(h.Key[:], uint32(c.rng))
	}
	if c.BW.Available() < MaxHeader {
		if err := c.BW.Flush(); err != nil {
			return err
		}
	}
	_, _ = c.BW.Write(AppendHeader(c.BW.AvailableBuffer(), h))
	if !c.Client {
		_, err := c.BW.Write(p)
		return err
	}
	// Mask straight into the write buffer: one copy, which masking needs
	// anyway since p belongs to the caller.
	pos := 0
	for len(p) > 0 {
		if c.BW.Available() == 0 {
			if err := c.BW.Flush(); err != nil {
				return err
			}
		}
		n := min(len(p), c.BW.Available())
		chunk := append(c.BW.AvailableBuffer(), p[:n]...)
		pos = Mask(chunk, h.Key, pos)
		if _, err := c.BW.Write(chunk); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// WriteFlush writes one message and flushes.
func (c *Conn) WriteFlush(op byte, p []byte) error {
	if err := c.WriteMessage(op, p); err != nil {
		return err
	}
	return c.BW.Flush()
}

// Flush writes what is buffered.
func (c *Conn) Flush() error { return c.BW.Flush() }
