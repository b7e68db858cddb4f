package transport

import (
	"encoding/binary"
	"net"
	"os"
	"unicode/utf8"
)

// readBuffered is ReadInto's fast path for the common case: the next frame
// is a whole, unfragmented, uncompressed text or binary message, unmasked
// (as a server sends), within the read limit, and already in the read
// buffer. It copies the payload into dst[:0] and consumes the frame. In
// any other case, or on any doubt (a header the general path would reject,
// text that is not valid UTF-8), it consumes nothing and reports false, and
// the general path reads the same bytes and applies every rule. So it
// takes no decision of its own that the general path would not take.
// Without take it only reports whether it would take the frame, short of
// the UTF-8 check of text (TryReadable): one branch, where a function of
// its own shared by both cost ReadInto a call a message.
func (r *reader) readBuffered(dst []byte, take bool) (MessageType, []byte, bool) {
	if r.inMsg || !r.c.client || r.c.ended.Load() {
		return 0, dst, false
	}
	br := &r.br
	avail := br.buffered()
	if avail < 2 {
		return 0, dst, false
	}
	b, _ := br.peek(2)
	b0, b1 := b[0], b[1]
	// FIN set, RSV clear, opcode text or binary; mask bit clear.
	if b0 != 0x80|byte(OpText) && b0 != 0x80|byte(OpBinary) || b1&0x80 != 0 {
		return 0, dst, false
	}
	hs, n := 2, int64(b1&0x7f)
	switch n {
	case 126:
		if avail < 4 {
			return 0, dst, false
		}
		b, _ = br.peek(4)
		n, hs = int64(binary.BigEndian.Uint16(b[2:])), 4
		if n < 126 {
			return 0, dst, false // non-minimal: the general path fails it
		}
	case 127:
		return 0, dst, false // 64 KiB and more: not a fast case
	}
	if n > r.limit.Load() || int64(avail-hs) < n {
		return 0, dst, false
	}
	if !take {
		return MessageType(b0 & 0x0f), dst, true // TryReadable: text unchecked
	}
	b, _ = br.peek(hs + int(n))
	p := b[hs:]
	typ := MessageType(b0 & 0x0f)
	if typ == MessageText && !utf8.Valid(p) {
		return 0, dst, false
	}
	dst = append(dst[:0], p...)
	br.discard(hs + int(n))
	return typ, dst, true
}

// BufferedMessages reports how many of the next messages, up to max,
// are already whole in the Conn's read buffer, each one final text or
// binary frame: that many calls to ReadInto now return without waiting
// for the network. A reader that hands messages on in batches asks before
// a read, and hands over what it holds when the answer is 0: the next
// read may block. It counts 0 when another call holds the read side, and
// stops at the first frame it cannot count cheaply (a fragment, a control
// frame), so 0 never means that nothing is buffered. Safe for concurrent
// use; it never reads from the network.
func (c *Conn) BufferedMessages(max int) int {
	r := &c.rd
	if max <= 0 || !r.sem.tryAcquire() {
		return 0
	}
	n := r.bufferedMessages(max)
	release(r.sem)
	return n
}

// bufferedMessages is BufferedMessages with the read side held.
func (r *reader) bufferedMessages(max int) int {
	if r.inMsg || r.c.ended.Load() {
		return 0
	}
	br := &r.br
	b := br.buf[br.r:br.w]
	count := 0
	for count < max && len(b) >= 2 {
		if op := Opcode(b[0] & 0x0f); b[0]&0x80 == 0 || op != OpText && op != OpBinary {
			break
		}
		hs := 2
		if b[1]&0x80 != 0 {
			hs += 4 // the masking key
		}
		switch b[1] & 0x7f {
		case 126:
			hs += 2
		case 127:
			hs += 8
		}
		if len(b) < hs {
			break
		}
		n := uint64(b[1] & 0x7f)
		switch n {
		case 126:
			n = uint64(binary.BigEndian.Uint16(b[2:]))
		case 127:
			n = binary.BigEndian.Uint64(b[2:])
		}
		if n > uint64(len(b)-hs) {
			break
		}
		b = b[hs+int(n):]
		count++
	}
	return count
}

// TryReadInto returns the next message, as ReadInto would, when it is
// already whole in the Conn's read buffer as one final, uncompressed text
// or binary frame under 64 KiB (the case TryReadable reports; fewer than
// BufferedMessages counts, which also counts compressed and larger
// messages, whole but not taken here), or is once the buffer holds what
// the socket already has: on a plain TCP connection (a *net.TCPConn, not
// TLS or another net.Conn's Read) it reads the socket once without
// waiting when the buffer lacks the rest of the next frame. Otherwise it
// consumes nothing and reports false. It never waits: not for the
// network, and not for another call that holds the read side (it reports
// false then). So a
// program may call it on any goroutine, with no context, while another
// goroutine does the reads that may wait: the Client's Read takes
// messages this way on the caller's goroutine while its reader goroutine
// fills the buffer (docs/architecture.md, "Reading on the caller's
// goroutine"). The payload is copied into dst[:0], as ReadInto does;
// when it reports false it returns dst[:0] untouched.
func (c *Conn) TryReadInto(dst []byte) (MessageType, []byte, bool) {
	r := &c.rd
	if !r.sem.tryAcquire() {
		return 0, dst[:0], false
	}
	typ, msg, ok := r.readBuffered(dst, true)
	if !ok && r.fillNow() {
		typ, msg, ok = r.readBuffered(dst, true)
	}
	release(r.sem)
	if !ok {
		return 0, dst[:0], false
	}
	c.idle.arm(c)
	return typ, msg, true
}

// fillNow brings into the read buffer what the socket already holds,
// without waiting, for TryReadInto, and reports whether it brought
// anything. Only on a plain TCP connection (*net.TCPConn itself): a TLS
// record, or the Read of a net.Conn that wraps the socket, must not be
// bypassed. Called with the read side held, between messages.
func (r *reader) fillNow() bool {
	if r.inMsg || !r.c.client || r.c.ended.Load() {
		return false
	}
	if !r.rawLooked {
		r.rawLooked = true
		if tc, ok := r.c.nc.(*net.TCPConn); ok {
			if rc, err := tc.SyscallConn(); err == nil {
				r.raw = newRawReader(rc)
			}
		}
	}
	if r.raw == nil {
		return false
	}
	ok, err := r.br.fillNow(r.raw)
	if err != nil {
		// Kept for the next read, as the net.Conn's Read returns it.
		nc := r.c.nc
		r.br.err = &net.OpError{Op: "read", Net: nc.LocalAddr().Network(), Source: nc.LocalAddr(), Addr: nc.RemoteAddr(), Err: os.NewSyscallError("read", err)}
	}
	return ok
}

// TryReadable reports, consuming nothing, whether TryReadInto would now
// take the next message from the read buffer alone (it reads no socket,
// where TryReadInto may): a goroutine that reads may leave the buffer to
// another that takes messages with TryReadInto only when this says so
// (the Client's reader steps back from it then). A text message whose
// payload is not valid UTF-8 is the exception: reported here, it is left
// by TryReadInto to ReadInto, which fails the connection. Like
// TryReadInto it never waits, and reports false while another call holds
// the read side. Safe for concurrent use.
func (c *Conn) TryReadable() bool {
	r := &c.rd
	if !r.sem.tryAcquire() {
		return false
	}
	_, _, ok := r.readBuffered(nil, false)
	release(r.sem)
	return ok
}
