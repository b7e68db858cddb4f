package transport

import (
	"errors"
	"io"
)

// The reader's handling of control frames (RFC 6455 §5.5): pings answered
// with pongs, pongs passed to the program's hook, and the peer's close
// frame, which starts or completes the closing handshake.

// control reads a control frame's payload and acts on it.
func (r *reader) control(h Header) error {
	if r.ctl == nil {
		r.ctl = new([MaxControlPayload]byte)
	}
	p := r.ctl[:h.Length]
	if _, err := io.ReadFull(&r.br, p); err != nil {
		return r.netError(err, false)
	}
	if h.Masked {
		maskBytes(h.Mask, 0, p)
	}
	c := r.c
	switch h.Opcode {
	case OpPing:
		c.runHook(c.onPing, p)
		// §5.5.2: answer with a pong carrying the same payload, unless a
		// close frame has already gone out.
		if !c.closeSent.Load() {
			// A pong that found the peer gone broke only the write
			// side: the reader reads on, draining (drain.go).
			if err := c.wr.control(OpPong, p, c.writeTimeout); err != nil && !errors.Is(err, ErrClosed) && c.broken.Load() == nil {
				return err
			}
		}
	case OpPong:
		// §5.5.3: an unsolicited pong needs no answer; the hook decides
		// whether it matches a ping.
		c.runHook(c.onPong, p)
	case OpClose:
		return r.closeFrame(p)
	}
	return nil
}

// closeFrame handles the peer's close frame (RFC 6455 §5.5.1, §7.1.5).
func (r *reader) closeFrame(p []byte) error {
	code, reason, err := ParseClosePayload(p)
	if err != nil {
		var pe *ProtocolError
		errors.As(err, &pe)
		return r.fail(pe.Code, pe.Msg)
	}
	c := r.c
	ce := &CloseError{Code: code, Reason: reason}
	c.rcvdOnce.Do(func() { close(c.closeRcvd.get()) })
	if c.closeSent.CompareAndSwap(false, true) {
		// The peer started the closing handshake: echo its code, then the
		// connection is over. The server closes TCP first (§7.1.1), but a
		// client may close at any time after both close frames.
		_ = c.wr.closeFrame(code, "")
		c.shutdown(ce)
		return ce
	}
	// We started it; Close is waiting for this frame and ends the
	// connection.
	return ce
}

// runHook calls the program's ping or pong hook, if set, marking the
// call for the idle responder, which must not take the read side from a
// reader that is inside a hook.
func (c *Conn) runHook(hook func([]byte), p []byte) {
	if hook != nil {
		c.idle.inHook.Store(true)
		hook(p)
		c.idle.inHook.Store(false)
	}
}
