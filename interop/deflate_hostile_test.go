package interop

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// This file is the hostile server's permessage-deflate (RFC 7692): it
// compresses what it sends with compress/flate and reads the client's
// compressed frames with its own frame reader, sharing no code with
// sturdy's transport.

// deflateTail is the empty stored block a sender strips from the end of
// every compressed message (RFC 7692 §7.2.1) and a receiver appends back.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff}

// finalBlock is an empty final stored block: appended after the tail it
// ends the DEFLATE stream, so a flate reader returns io.EOF cleanly.
var finalBlock = []byte{0x01, 0x00, 0x00, 0xff, 0xff}

// serverDeflater compresses the harness's messages.
//
// compress/flate always uses a 32 KiB window and cannot be told to use a
// smaller one. So, when the negotiated server_max_window_bits is below 15,
// it compresses only messages of at most 2^bits bytes, each from a fresh
// context (no back-reference can then reach further than the message
// itself), and sends longer ones uncompressed: a stream that is valid for
// the window, and what RFC 7692 §7.1.2.1 allows a sender to do.
type serverDeflater struct {
	w          *flate.Writer
	buf        bytes.Buffer
	noTakeover bool // reset after every message
	bits       int  // server window, 8..15
	started    bool
}

func newServerDeflater(noTakeover bool, bits int) *serverDeflater {
	if bits == 0 {
		bits = 15
	}
	d := &serverDeflater{noTakeover: noTakeover || bits < 15, bits: bits}
	w, err := flate.NewWriter(&d.buf, flate.DefaultCompression)
	if err != nil {
		panic(err) // only for an invalid level
	}
	d.w = w
	return d
}

// compress returns p's compressed payload, and false when p must go
// uncompressed (longer than a window below 15 bits).
func (d *serverDeflater) compress(p []byte) ([]byte, bool) {
	if d.bits < 15 && len(p) > 1<<d.bits {
		return nil, false
	}
	d.buf.Reset()
	if d.noTakeover && d.started {
		d.w.Reset(&d.buf)
	}
	d.started = true
	if _, err := d.w.Write(p); err != nil {
		panic(err) // bytes.Buffer does not fail
	}
	if err := d.w.Flush(); err != nil {
		panic(err)
	}
	out := d.buf.Bytes()
	if !bytes.HasSuffix(out, deflateTail) {
		panic("flate flush did not end with 00 00 ff ff")
	}
	return bytes.Clone(out[:len(out)-len(deflateTail)]), true
}

// frames returns the frames of message p: compressed when it can be, with
// RSV1 on the first frame only, its wire payload split into pieces frames
// (at most; 1 or less: one frame).
func (d *serverDeflater) frames(op byte, p []byte, pieces int) []byte {
	wire, ok := d.compress(p)
	rsv := byte(4)
	if !ok {
		wire, rsv = p, 0
	}
	size := len(wire)
	if pieces > 1 {
		size = (len(wire) + pieces - 1) / pieces
	}
	return rsvFragments(rsv, op, wire, size)
}

// rsvFragments splits payload into frames of at most size bytes (0: one
// frame), with rsv on the first frame only.
func rsvFragments(rsv, op byte, payload []byte, size int) []byte {
	if size <= 0 {
		size = max(len(payload), 1)
	}
	var out []byte
	for first := true; ; first = false {
		n := min(size, len(payload))
		f := frameSpec{fin: n == len(payload), op: opCont, payload: payload[:n]}
		if first {
			f.op, f.rsv = op, rsv
		}
		out = append(out, f.encode()...)
		payload = payload[n:]
		if f.fin {
			return out
		}
	}
}

// deflateOnce compresses p from a fresh context, tail stripped.
func deflateOnce(p []byte) []byte {
	b, _ := newServerDeflater(true, 15).compress(p)
	return b
}

// clientInflater decodes the client's compressed messages. It keeps the
// last 32 KiB the client sent as the dictionary of the next message, the
// client's context taken over; with noTakeover it decodes every message
// from an empty window, so a client that kept its context (that did not
// reset its compressor as it promised) produces data that fails to decode
// or decodes to something else.
type clientInflater struct {
	noTakeover bool
	window     []byte
}

const maxWindow = 32 << 10

func (z *clientInflater) inflate(payload []byte) ([]byte, error) {
	src := cat(payload, deflateTail, finalBlock)
	var dict []byte
	if !z.noTakeover {
		dict = z.window
	}
	r := flate.NewReaderDict(bytes.NewReader(src), dict)
	out, err := io.ReadAll(io.LimitReader(r, maxClientFrame+1))
	if err != nil {
		return nil, fmt.Errorf("inflating the client's message: %w", err)
	}
	if len(out) > maxClientFrame {
		return nil, errors.New("client's message inflates past the harness's limit")
	}
	if !z.noTakeover {
		z.window = append(z.window, out...)
		if len(z.window) > maxWindow {
			z.window = bytes.Clone(z.window[len(z.window)-maxWindow:])
		}
	}
	return out, nil
}

// deflatedMessage is a data message from the client, inflated.
type deflatedMessage struct {
	op         byte
	payload    []byte
	compressed bool
	wire       int // payload bytes on the wire
}

// readDeflateFrame reads one client frame like peer.readFrame, but lets
// RSV1 through: the caller checks where it may appear.
func (p *peer) readDeflateFrame() (clientFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(p.br, h[:]); err != nil {
		return clientFrame{}, err
	}
	f := clientFrame{fin: h[0]&0x80 != 0, rsv: h[0] >> 4 & 7, op: h[0] & 0xF}
	if h[1]&0x80 == 0 {
		return f, errors.New("client frame is not masked (RFC 6455 §5.1)")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var e [2]byte
		if _, err := io.ReadFull(p.br, e[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err := io.ReadFull(p.br, e[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	if n > maxClientFrame {
		return f, fmt.Errorf("client frame of %d bytes", n)
	}
	var key [4]byte
	if _, err := io.ReadFull(p.br, key[:]); err != nil {
		return f, err
	}
	p.masks = append(p.masks, key)
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(p.br, f.payload); err != nil {
		return f, err
	}
	unmask(f.payload, key)
	return f, nil
}

// readDeflateMessage reads the client's next data message with
// permessage-deflate negotiated, checking RFC 7692 §6's rules on RSV1 and
// inflating it when it is compressed.
func (p *peer) readDeflateMessage(z *clientInflater) (deflatedMessage, error) {
	var m deflatedMessage
	var wire []byte
	started := false
	for {
		f, err := p.readDeflateFrame()
		if err != nil {
			return m, err
		}
		switch {
		case f.rsv&3 != 0:
			return m, fmt.Errorf("client frame with RSV bits %03b", f.rsv)
		case f.rsv != 0 && (f.op >= opClose || f.op == opCont):
			return m, fmt.Errorf("client set RSV1 on a frame with opcode %d (RFC 7692 §6)", f.op)
		}
		switch f.op {
		case opPong:
			p.pongs = append(p.pongs, f.payload)
			continue
		case opPing:
			return m, errors.New("client sent a ping; the echo client never pings")
		case opClose:
			return m, &closedByClient{payload: f.payload}
		case opText, opBinary:
			if started {
				return m, errors.New("client started a new message inside a fragmented one")
			}
			started = true
			m.op, m.compressed = f.op, f.rsv == 4
		case opCont:
			if !started {
				return m, errors.New("client sent a continuation with no message")
			}
		default:
			return m, fmt.Errorf("client sent reserved opcode %#x", f.op)
		}
		wire = append(wire, f.payload...)
		if !f.fin {
			continue
		}
		m.wire = len(wire)
		if !m.compressed {
			m.payload = wire
			return m, nil
		}
		m.payload, err = z.inflate(wire)
		return m, err
	}
}

// deflateSession is the harness's side of one compressed connection.
type deflateSession struct {
	p   *peer
	out *serverDeflater
	in  *clientInflater
	// clientBits is the client's negotiated window: a compressed message
	// from the client longer than 2^bits, with bits below 15, means its
	// compressor could have reached past the window.
	clientBits int
	// compressedIn counts the client's messages that came compressed.
	compressedIn int
}

// echo sends p as one message (compressed when the server can; in up to
// pieces frames) and checks the client's echo, which it returns.
func (s *deflateSession) echo(op byte, p []byte, pieces int) (deflatedMessage, error) {
	m, err := s.echoed(op, p, pieces)
	if err == nil && m.compressed {
		s.compressedIn++
	}
	return m, err
}

func (s *deflateSession) echoed(op byte, p []byte, pieces int) (deflatedMessage, error) {
	if err := s.p.send(s.out.frames(op, p, pieces)); err != nil {
		return deflatedMessage{}, err
	}
	m, err := s.p.readDeflateMessage(s.in)
	if err != nil {
		return m, fmt.Errorf("want echo of %d-byte message (op %d): %w", len(p), op, err)
	}
	if m.op != op {
		return m, fmt.Errorf("echo opcode %d, want %d", m.op, op)
	}
	if !bytes.Equal(m.payload, p) {
		return m, fmt.Errorf("echo of %d bytes (compressed %v) differs from the %d bytes sent", len(m.payload), m.compressed, len(p))
	}
	if m.compressed && s.clientBits < 15 && len(p) > 1<<s.clientBits {
		return m, fmt.Errorf("client compressed a %d-byte message with a %d-bit window: its compressor's window is 32 KiB, so it may reach past the limit", len(p), s.clientBits)
	}
	return m, nil
}
