package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync/atomic"
)

// reader is the read half of a Conn: the frame state machine that turns
// frames into messages, answers control frames and enforces RFC 6455's
// rules on what the peer sends.
type reader struct {
	c     *Conn
	br    readBuffer
	limit atomic.Int64
	sem   *sem // held by the goroutine inside a read call
	dl    deadlineArm
	ctx   context.Context // the context of the call in progress

	// The data frame being read.
	remain  int64 // payload bytes not yet read
	fin     bool  // it is the last frame of its message
	masked  bool
	mask    [4]byte
	maskPos int

	// The message being read.
	inMsg     bool
	typ       MessageType
	size      int64 // payload bytes announced so far, checked against wireLimit
	wireLimit int64 // the read limit, or its compressed equivalent
	utf8      utf8Validator

	// permessage-deflate, when negotiated (see deflate_read.go).
	deflate    *deflateConfig // nil: RSV1 is a protocol error
	compressed bool           // the current message is compressed
	inflated   int64          // bytes it has decompressed to so far
	outLimit   int64          // the read limit when it began
	z          *inflater      // created on the first compressed message

	ctl     *[MaxControlPayload]byte // made with the first control frame
	discard *[512]byte               // for skipping what the application left unread; made on first use
	msg     messageReader

	// The socket TryReadInto reads without waiting (fillNow), looked up
	// at its first need: nil unless the connection is plain TCP.
	raw       *rawReader
	rawLooked bool
}

func (r *reader) init(c *Conn, pending []byte, bufSize int, limit int64) {
	r.c = c
	r.br.init(c.nc, pending, bufSize)
	r.limit.Store(limit)
	r.sem = newSem()
	r.dl.c = c
	r.ctx = context.Background()
	r.msg.r = r
}

// Read reads the next data message into a new slice. See ReadInto to reuse
// a buffer. Cancelling ctx while Read waits for a message to begin aborts
// the call and leaves the connection usable; cancelling it mid-message
// fails the connection, since the rest of the message can no longer be
// delivered. One reader at a time.
func (c *Conn) Read(ctx context.Context) (MessageType, []byte, error) {
	return c.ReadInto(ctx, nil)
}

// ReadInto reads the next data message into dst[:0], growing it as needed,
// and returns the message type and the filled slice. It grows the buffer
// only as bytes actually arrive, so a peer announcing a large message and
// sending nothing costs nothing. With a buffer large enough for the
// messages and a context that cannot be cancelled, it allocates nothing.
// One reader at a time; ctx as for Read.
func (c *Conn) ReadInto(ctx context.Context, dst []byte) (MessageType, []byte, error) {
	r := &c.rd
	dst = dst[:0]
	if err := acquire(ctx, r.sem); err != nil {
		return 0, dst, err
	}
	if typ, msg, ok := r.readBuffered(dst, true); ok {
		release(r.sem)
		c.idle.arm(c)
		return typ, msg, nil
	}
	r.ctx = ctx
	armed := r.dl.arm(ctx, 0)
	typ, err := r.begin()
	if err == nil {
		dst, err = r.readAll(dst)
	}
	if armed {
		r.dl.disarm()
	}
	r.ctx = context.Background()
	release(r.sem)
	c.idle.arm(c)
	if err != nil {
		return 0, dst, err
	}
	return typ, dst, nil
}

// Reader returns the next data message's type and a reader for its payload,
// which yields io.EOF at the end of the message. The reader is valid until
// the next call to Reader, Read or ReadInto, which discard whatever of the
// message was left unread. ctx governs the whole message: cancelling it
// after the message began fails the connection. One reader at a time.
func (c *Conn) Reader(ctx context.Context) (MessageType, io.Reader, error) {
	r := &c.rd
	if err := acquire(ctx, r.sem); err != nil {
		return 0, nil, err
	}
	r.ctx = ctx
	armed := r.dl.arm(ctx, 0)
	typ, err := r.begin()
	if armed {
		r.dl.disarm()
	}
	if err != nil {
		r.ctx = context.Background()
		release(r.sem)
		c.idle.arm(c)
		return 0, nil, err
	}
	r.msg.ctx = ctx
	release(r.sem)
	c.idle.arm(c)
	return typ, &r.msg, nil
}

// messageReader is the io.Reader that Reader returns.
type messageReader struct {
	r   *reader
	ctx context.Context
}

// Read reads payload bytes of the current message.
func (m *messageReader) Read(p []byte) (int, error) {
	r := m.r
	if err := acquire(m.ctx, r.sem); err != nil {
		return 0, err
	}
	r.ctx = m.ctx
	armed := r.dl.arm(m.ctx, 0)
	n, err := r.read(p)
	if armed {
		r.dl.disarm()
	}
	r.ctx = context.Background()
	release(r.sem)
	r.c.idle.arm(r.c)
	return n, err
}

// begin finishes any message left unread and reads up to the start of the
// next data message.
func (r *reader) begin() (MessageType, error) {
	if r.c.ended.Load() {
		// The atomic first: the channel test behind Err costs more on
		// every message.
		if err := r.c.Err(); err != nil {
			return 0, &closedError{cause: err}
		}
	}
	for r.inMsg {
		if _, err := r.read(r.scratch()); err != nil && err != io.EOF {
			return 0, err
		}
	}
	h, err := r.dataHeader(true)
	if err != nil {
		return 0, err
	}
	if h.Opcode == OpContinuation {
		return 0, r.fail(StatusProtocolError, "continuation frame with no message to continue")
	}
	r.compressed = h.Rsv&rsv1 != 0
	r.outLimit = r.limit.Load()
	r.wireLimit = r.outLimit
	if r.compressed {
		r.wireLimit = compressedLimit(r.outLimit)
	}
	if h.Length > r.wireLimit {
		return 0, r.fail(StatusMessageTooBig, "message over the read limit")
	}
	r.inMsg = true
	r.typ = MessageType(h.Opcode)
	r.size = h.Length
	r.utf8.reset()
	r.startFrame(h)
	if r.compressed {
		r.beginInflate()
	}
	return r.typ, nil
}

// scratch returns the buffer that unread payload is read into and dropped:
// rare (a message left unread, or one over the limit), so it is made only
// when first needed rather than carried by every connection.
func (r *reader) scratch() []byte {
	if r.discard == nil {
		r.discard = new([512]byte)
	}
	return r.discard[:]
}

// readAll appends the rest of the current message to dst.
func (r *reader) readAll(dst []byte) ([]byte, error) {
	if cap(dst) == 0 {
		// Start at the first frame's size, within reason: the peer has
		// promised those bytes but not sent them.
		dst = make([]byte, 0, min(max(r.remain, 512), 32<<10, r.outLimit))
	}
	for {
		var n int
		var err error
		if len(dst) < cap(dst) {
			n, err = r.read(dst[len(dst):cap(dst)])
			dst = dst[:len(dst)+n]
		} else if grown, ok := r.grow(dst); ok {
			dst = grown
			continue
		} else {
			// A message as large as the limit: whatever more it holds
			// fails the connection with 1009.
			if n, err = r.read(r.scratch()[:1]); n > 0 {
				return dst, r.fail(StatusMessageTooBig, "message over the read limit")
			}
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// grow makes room in a full dst, doubling it but never past the read
// limit: a compressed message's size is unknown until it ends, and an
// uncompressed one's is known only a frame at a time, so the buffer
// stays within the limit whatever the peer sends. It reports false once
// dst holds that much.
func (r *reader) grow(dst []byte) ([]byte, bool) {
	if int64(len(dst)) >= r.outLimit {
		return dst, false
	}
	grown := make([]byte, len(dst), min(int64(max(2*cap(dst), 512)), r.outLimit))
	copy(grown, dst)
	return grown, true
}

// read reads payload of the current message into p, decompressed if the
// message is, handling the frames that come between (continuations and
// interleaved control frames) and validating text as it goes.
func (r *reader) read(p []byte) (int, error) {
	if !r.inMsg {
		return 0, io.EOF
	}
	var n int
	var err error
	if r.compressed {
		n, err = r.inflate(p)
	} else {
		n, err = r.payload(p)
	}
	if n > 0 && r.typ == MessageText && !r.utf8.write(p[:n]) {
		return 0, r.fail(StatusInvalidFramePayloadData, "invalid UTF-8 in text message")
	}
	if err == io.EOF || (err == nil && !r.compressed && r.remain == 0 && r.fin) {
		return n, r.endMessage()
	}
	return n, err
}

// dataHeader reads frame headers, handling the control frames that come
// between (RFC 6455 §5.4 lets them interleave with a message's fragments),
// until the header of a data frame. atBoundary is header's: no message is
// under way.
func (r *reader) dataHeader(atBoundary bool) (Header, error) {
	for {
		h, err := r.header(atBoundary)
		if err != nil || !h.Opcode.IsControl() {
			return h, err
		}
		if err := r.control(h); err != nil {
			return Header{}, err
		}
	}
}

// payload reads the current message's payload bytes as they are on the
// wire (unmasked), stepping from frame to frame. It returns io.EOF after
// the last byte of the last frame.
func (r *reader) payload(p []byte) (int, error) {
	for r.remain == 0 {
		if r.fin {
			return 0, io.EOF
		}
		h, err := r.dataHeader(false)
		if err != nil {
			return 0, err
		}
		if h.Opcode != OpContinuation {
			return 0, r.fail(StatusProtocolError, "new data frame inside a fragmented message")
		}
		if h.Length > r.wireLimit-r.size {
			return 0, r.fail(StatusMessageTooBig, "message over the read limit")
		}
		r.size += h.Length
		r.startFrame(h)
	}
	if int64(len(p)) > r.remain {
		p = p[:r.remain]
	}
	n, err := r.br.Read(p)
	if n > 0 {
		if r.masked {
			r.maskPos = maskBytes(r.mask, r.maskPos, p[:n])
		}
		r.remain -= int64(n)
	}
	if err != nil {
		return n, r.netError(err, false)
	}
	return n, nil
}

// endMessage closes the current message after its last byte, returning
// io.EOF, or the error that a text message ending mid-rune deserves.
func (r *reader) endMessage() error {
	r.inMsg = false
	if r.typ == MessageText && !r.utf8.complete() {
		return r.fail(StatusInvalidFramePayloadData, "text message ends inside a UTF-8 sequence")
	}
	return io.EOF
}

func (r *reader) startFrame(h Header) {
	r.remain = h.Length
	r.fin = h.Fin
	r.masked = h.Masked
	r.mask = h.Mask
	r.maskPos = 0
}

// header reads and checks the next frame header. It consumes nothing until
// the whole header has arrived, so a call cancelled while waiting for a
// frame leaves the stream intact. atBoundary says no message is in
// progress, which is what makes such a cancellation harmless.
func (r *reader) header(atBoundary bool) (Header, error) {
	b, err := r.br.peek(2)
	if err != nil {
		return Header{}, r.netError(err, atBoundary)
	}
	if n := HeaderSize(b[0], b[1]); n > 2 {
		if b, err = r.br.peek(n); err != nil {
			return Header{}, r.netError(err, false)
		}
	}
	h, n, err := ParseHeader(b)
	if err != nil {
		return h, r.fail(StatusProtocolError, err.Error())
	}
	r.br.discard(n)
	return h, r.check(h)
}

// check enforces the rules of RFC 6455 §5 that a single header can break.
func (r *reader) check(h Header) error {
	if h.Rsv != 0 {
		if msg := r.rsvProblem(h); msg != "" {
			return r.fail(StatusProtocolError, msg)
		}
	}
	switch {
	case h.Opcode.IsReserved():
		// §5.2: reserved opcodes fail the connection.
		return r.fail(StatusProtocolError, "reserved opcode "+strconv.Itoa(int(h.Opcode)))
	case r.c.client && h.Masked:
		// §5.1: a client closes the connection on a masked frame.
		return r.fail(StatusProtocolError, "masked frame from server")
	case !r.c.client && !h.Masked:
		// §5.1: a server closes the connection on an unmasked frame.
		return r.fail(StatusProtocolError, "unmasked frame from client")
	case h.Opcode.IsControl() && !h.Fin:
		// §5.5: control frames must not be fragmented.
		return r.fail(StatusProtocolError, "fragmented control frame")
	case h.Opcode.IsControl() && h.Length > MaxControlPayload:
		// §5.5: control frame payloads are at most 125 bytes.
		return r.fail(StatusProtocolError, "control frame payload over 125 bytes")
	}
	return nil
}

// fail fails the connection for a protocol violation by the peer
// (RFC 6455 §7.1.7): it sends a close frame with code, unless one went out
// already, then closes the connection.
func (r *reader) fail(code StatusCode, msg string) error {
	pe := &ProtocolError{Code: code, Msg: msg}
	c := r.c
	if c.closeSent.CompareAndSwap(false, true) {
		reason := msg
		if len(reason) > maxCloseReason {
			reason = reason[:maxCloseReason]
		}
		_ = c.wr.closeFrame(code, reason)
	}
	c.shutdown(pe)
	return pe
}

// netError turns a failed network read into the error the caller sees.
func (r *reader) netError(err error, atBoundary bool) error {
	c := r.c
	select {
	case <-c.closed:
		return &closedError{cause: c.closeErr}
	default:
	}
	if cerr := ctxErr(r.ctx, err); cerr != nil {
		if atBoundary && !r.inMsg {
			return cerr
		}
		c.shutdown(&CloseError{Code: StatusAbnormalClosure, Reason: "read cancelled mid-message", Err: cerr})
		return cerr
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	ce := c.endCause(&CloseError{Code: StatusAbnormalClosure, Err: err})
	c.shutdown(ce)
	return ce
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
