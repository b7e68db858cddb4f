package transport

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"
)

// ErrInvalidUTF8 is returned by writes of a text message that is not valid
// UTF-8; nothing of it is sent (RFC 6455 §5.6 requires text to be UTF-8).
var ErrInvalidUTF8 = errors.New("transport: text message is not valid UTF-8")

// errBadMessageType is returned for a type other than text or binary.
var errBadMessageType = errors.New("transport: message type must be MessageText or MessageBinary")

// errControlTooLong is returned by Ping for a payload over 125 bytes.
var errControlTooLong = errors.New("transport: control frame payload over 125 bytes")

// writer is the write half of a Conn. Two locks keep the stream well
// formed: msgSem is held for a whole data message, so messages never
// interleave, and frameSem for one frame, so control frames (pongs, pings,
// close) can slip between the fragments of a long message as §5.4 allows.
type writer struct {
	c        *Conn
	msgSem   *sem
	frameSem *sem
	buf      []byte                                   // frames not yet written; cap is the buffer size; nil until the first data frame
	ctl      *[MaxHeaderSize + MaxControlPayload]byte // a lone control frame's (encodeControl); made with the first
	size     int                                      // the buffer's size
	keys     keySource                                // a client's; made with the first frame
	// used is set by every frame that goes through buf and cleared by
	// ReleaseIdle, which lets buf go when it finds it clear.
	used bool
	now  rawWriter // tryWrite's system call
	dl   deadlineArm
	mw   messageWriter
	z    *compressor // permessage-deflate, when negotiated
	frag int         // largest frame of a data message; 0: no fragmentation
}

func (w *writer) init(c *Conn, size, frag int) {
	w.c = c
	w.frag = frag
	w.msgSem = newSem()
	w.frameSem = newSem()
	// The buffer and the key source wait for the first frame: a
	// connection that only reads (a feed, most idle connections) never
	// pays for them.
	w.size = max(size, 2*MaxHeaderSize)
	w.dl.c, w.dl.write = c, true
	w.mw.w = w
}

// Write sends p as one message of type typ and flushes it. A text message
// must be valid UTF-8. It is safe for concurrent use; cancelling ctx while
// Write waits for its turn aborts only this call, but once bytes of the
// message are on the wire a cancellation fails the connection, since the
// frame cannot be completed. With a context that cannot be cancelled it
// allocates nothing.
func (c *Conn) Write(ctx context.Context, typ MessageType, p []byte) error {
	return c.write(ctx, typ, p, true)
}

// WriteBuffered is Write without the flush: the message waits in the write
// buffer (which is written whenever it fills) until Flush, a later Write, or
// a control frame. Writing a batch this way costs one system call per
// buffer rather than one per message. Safe for concurrent use.
func (c *Conn) WriteBuffered(ctx context.Context, typ MessageType, p []byte) error {
	return c.write(ctx, typ, p, false)
}

// Flush writes whatever WriteBuffered left in the buffer. Safe for
// concurrent use.
func (c *Conn) Flush(ctx context.Context) error {
	w := &c.wr
	if err := acquireTurn(ctx, w.frameSem); err != nil {
		return err
	}
	defer release(w.frameSem)
	if err := c.writeErr(); err != nil {
		return &closedError{cause: err}
	}
	if len(w.buf) == 0 {
		return nil
	}
	armed := w.dl.arm(ctx, c.writeTimeout)
	err := w.flush()
	if armed {
		w.dl.disarm()
	}
	if err != nil {
		return w.failed(ctx, err)
	}
	return nil
}

func (c *Conn) write(ctx context.Context, typ MessageType, p []byte, flush bool) error {
	if typ != MessageText && typ != MessageBinary {
		return errBadMessageType
	}
	if typ == MessageText && !utf8.Valid(p) {
		return ErrInvalidUTF8
	}
	w := &c.wr
	if err := acquireTurn(ctx, w.msgSem); err != nil {
		return err
	}
	defer release(w.msgSem)
	if w.z != nil && w.z.wants(len(p)) {
		return w.writeCompressed(ctx, typ, p, flush)
	}
	h := Header{Fin: true, Opcode: Opcode(typ)}
	if w.frag > 0 && len(p) > w.frag {
		return w.frames(ctx, h, p, flush)
	}
	return w.frame(ctx, h, p, flush, c.writeTimeout) // most messages: one frame, one call less
}

// Ping sends a ping with payload (at most 125 bytes) and returns once it is
// written; the pong arrives through DialOptions.OnPong on the reading
// goroutine. Safe for concurrent use.
func (c *Conn) Ping(ctx context.Context, payload []byte) error {
	if len(payload) > MaxControlPayload {
		return errControlTooLong
	}
	return c.wr.frame(ctx, Header{Fin: true, Opcode: OpPing}, payload, true, c.writeTimeout)
}

// control writes a control frame (pong or close) that the connection
// itself owes the peer.
func (w *writer) control(op Opcode, p []byte, timeout time.Duration) error {
	return w.frame(context.Background(), Header{Fin: true, Opcode: op}, p, true, timeout)
}

// closeFrame sends a close frame and marks the connection as closing. The
// caller has already claimed closeSent.
func (w *writer) closeFrame(code StatusCode, reason string) error {
	var b [MaxControlPayload]byte
	p := appendClosePayload(b[:0], code, reason)
	return w.frame(context.Background(), Header{Fin: true, Opcode: OpClose}, p, true, w.c.closeTimeout)
}

// frame writes one frame, masked if this is the client side, and flushes
// the buffer if asked to or when it fills.
func (w *writer) frame(ctx context.Context, h Header, p []byte, flush bool, timeout time.Duration) error {
	if err := acquireFrame(ctx, w.frameSem, timeout); err != nil {
		return err
	}
	defer release(w.frameSem)
	if err := ctx.Err(); err != nil {
		return err // nothing of it written: see acquireTurn
	}
	return w.frameLocked(ctx, h, p, flush, timeout)
}

// frameLocked is frame for a caller that holds the frame lock.
func (w *writer) frameLocked(ctx context.Context, h Header, p []byte, flush bool, timeout time.Duration) error {
	c := w.c
	if err := c.writeErr(); err != nil {
		return &closedError{cause: err}
	}
	// §5.5.1: after a close frame, no more data frames (or pings).
	if h.Opcode != OpClose && h.Opcode != OpPong && c.closeSent.Load() {
		return &closedError{cause: errCloseSent}
	}
	if flush && len(w.buf) == 0 && h.Opcode.IsControl() {
		return w.loneControl(ctx, h, p, timeout)
	}
	// Arm deadlines only when this frame will reach the network.
	armed := false
	if flush || len(w.buf)+MaxHeaderSize+len(p) > cap(w.buf) {
		armed = w.dl.arm(ctx, timeout)
	}
	err := w.put(h, p)
	if err == nil && flush {
		err = w.flush()
	}
	if armed {
		w.dl.disarm()
	}
	if err != nil {
		return w.failed(ctx, err)
	}
	return nil
}

// put encodes a frame into the buffer, writing the buffer out as it fills.
func (w *writer) put(h Header, p []byte) error {
	if w.buf == nil {
		w.buf = make([]byte, 0, w.size)
	}
	w.used = true
	if cap(w.buf)-len(w.buf) < MaxHeaderSize {
		if err := w.flush(); err != nil {
			return err
		}
	}
	h.Length = int64(len(p))
	if w.c.client {
		// §5.3: a fresh, unpredictable key for every frame.
		h.Masked = true
		if w.keys.rng == nil {
			w.keys = newKeySource()
		}
		h.Mask = w.keys.next()
	}
	n := len(w.buf)
	w.buf = w.buf[:n+PutHeader(w.buf[n:n+MaxHeaderSize], h)]
	if !h.Masked && len(p) > cap(w.buf)-len(w.buf) {
		// A server's large payload needs no masking copy: send it as is.
		if err := w.flush(); err != nil {
			return err
		}
		return w.send(p)
	}
	pos := 0
	for len(p) > 0 {
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return err
			}
		}
		n := len(w.buf)
		k := copy(w.buf[n:cap(w.buf)], p)
		if h.Masked {
			pos = maskBytes(h.Mask, pos, w.buf[n:n+k])
		}
		w.buf = w.buf[:n+k]
		p = p[k:]
	}
	return nil
}

func (w *writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	err := w.send(w.buf)
	w.buf = w.buf[:0]
	return err
}

// send writes b to the network, counting what the socket takes. While a
// progress timeout is armed, b goes in pieces of at most progressChunk, so
// that the deadline can move on as the socket takes them (deadlineArm.
// progress): a large frame on a slow link fails only if the link stops,
// not because the whole frame takes longer than the timeout.
func (w *writer) send(b []byte) error {
	if w.dl.fixed <= 0 {
		n, err := w.c.nc.Write(b)
		w.c.written.Add(uint64(n))
		return err
	}
	for len(b) > 0 {
		n, err := w.c.nc.Write(b[:min(len(b), progressChunk)])
		w.c.written.Add(uint64(n))
		if err != nil {
			return err
		}
		w.dl.progress(n)
		b = b[n:]
	}
	return nil
}

// failed turns a failed network write into the caller's error. Part of a
// frame may be on the wire, so the connection cannot continue.
func (w *writer) failed(ctx context.Context, err error) error {
	c := w.c
	select {
	case <-c.closed:
		return &closedError{cause: c.closeErr}
	default:
	}
	if cerr := ctxErr(ctx, err); cerr != nil {
		c.shutdown(&CloseError{Code: StatusAbnormalClosure, Reason: "write cancelled mid-frame", Err: cerr})
		return cerr
	}
	ce := &CloseError{Code: StatusAbnormalClosure, Err: err}
	if peerGone(err) {
		ce.Reason = "peer reset the connection"
		c.breakWrites(ce)
		return ce
	}
	if isTimeout(err) {
		ce.Reason = "write stalled past the write timeout"
	}
	c.shutdown(ce)
	return ce
}

// errFrameBusy is returned when a frame the connection owes the peer (a pong
// or close) could not get the write lock in time: another write is stuck.
var errFrameBusy = errors.New("transport: write lock busy past the timeout")

// acquireFragment takes the frame lock for the next fragment of a message
// whose earlier fragments are out: after the frames already waiting for it
// (pings, pongs, close, Flush), so that they go out between fragments
// rather than after the whole message. It gives up as acquireFrame does.
func acquireFragment(ctx context.Context, s *sem, timeout time.Duration) error {
	if s.waiters.Load() == 0 && s.tryAcquire() {
		return nil
	}
	var tc <-chan time.Time
	if ctx.Done() == nil && timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	if !s.acquireAfterWaiters(ctx.Done(), tc) {
		if err := ctx.Err(); err != nil {
			return err
		}
		return errFrameBusy
	}
	return nil
}

// acquireFrame takes the frame lock. A call with no cancellable context (the
// pongs and close frames the connection writes on its own) still gives up
// after timeout, so a write stuck on a stalled peer cannot hang the reader.
func acquireFrame(ctx context.Context, s *sem, timeout time.Duration) error {
	if s.tryAcquire() {
		// Before ctx.Done, which makes a cancelCtx's channel: a ping
		// that the socket takes at once never needs it (loneControl).
		return nil
	}
	if ctx.Done() != nil || timeout <= 0 {
		return acquire(ctx, s)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	if !s.acquireOr(nil, nil, t.C) {
		return errFrameBusy
	}
	return nil
}
