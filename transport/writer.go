package transport

import (
	"context"
	"errors"
	"io"
)

// errWriterClosed is returned by a message writer used after Close.
var errWriterClosed = errors.New("transport: message writer already closed")

// Writer returns a writer for one message of type typ, sent as fragments:
// each Write becomes a frame (buffered, so small writes share a system
// call) and Close sends the final frame and flushes. No other message can
// be written until Close, but control frames still can. Text must be valid
// UTF-8 across the whole message; a Write that breaks it returns
// ErrInvalidUTF8 and sends nothing. Safe for concurrent use with other
// writes; the returned writer itself is for one goroutine.
func (c *Conn) Writer(ctx context.Context, typ MessageType) (io.WriteCloser, error) {
	if typ != MessageText && typ != MessageBinary {
		return nil, errBadMessageType
	}
	w := &c.wr
	if err := acquireTurn(ctx, w.msgSem); err != nil {
		return nil, err
	}
	w.mw.ctx = ctx
	w.mw.op = Opcode(typ)
	w.mw.text = typ == MessageText
	w.mw.open = true
	w.mw.utf8.reset()
	w.mw.z = nil
	if w.z != nil && w.z.maxLen < 0 {
		// Compressed whatever its size, which is not known up front; with
		// a limited window (maxLen >= 0) it cannot be, for the same reason.
		w.mw.z = w.z
		w.mw.rsv = rsv1
		w.mw.wrote = false
		w.z.start()
	}
	return &w.mw, nil
}

// messageWriter is the io.WriteCloser that Writer returns.
type messageWriter struct {
	w    *writer
	ctx  context.Context
	op   Opcode // OpText or OpBinary for the first frame, then OpContinuation
	text bool
	open bool
	utf8 utf8Validator

	// Compression of this message, if any: each Write feeds the DEFLATE
	// writer and frames what it has output so far; Close flushes it.
	z     *compressor
	rsv   byte // RSV1 until the first frame is out (RFC 7692 §6.1)
	wrote bool // bytes went into the compressor
}

// Write sends p as the next fragment of the message, or as several when p
// is longer than the connection's fragment size.
func (m *messageWriter) Write(p []byte) (int, error) {
	if !m.open {
		return 0, errWriterClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if m.text {
		saved := m.utf8
		if !m.utf8.write(p) {
			m.utf8 = saved
			return 0, ErrInvalidUTF8
		}
	}
	if m.z != nil {
		return m.writeCompressed(p)
	}
	if err := m.w.frames(m.ctx, Header{Opcode: m.op}, p, false); err != nil {
		return 0, err
	}
	m.op = OpContinuation
	return len(p), nil
}

// Close sends the final frame and flushes. A text message that ends inside
// a UTF-8 sequence cannot be completed: Close returns ErrInvalidUTF8 and
// fails the connection, since the peer has part of an invalid message.
// So does a final frame that cannot be sent (the writer's context done,
// say) once earlier fragments have been written.
func (m *messageWriter) Close() error {
	if !m.open {
		return errWriterClosed
	}
	m.open = false
	defer release(m.w.msgSem)
	if m.text && !m.utf8.complete() {
		m.w.c.shutdown(&CloseError{Code: StatusAbnormalClosure, Reason: "text message ended mid-rune", Err: ErrInvalidUTF8})
		return ErrInvalidUTF8
	}
	var err error
	if m.z != nil && m.wrote {
		m.z.finish()
		err = m.w.frames(m.ctx, Header{Fin: true, Rsv: m.rsv, Opcode: m.op}, m.z.out, true)
	} else {
		err = m.w.frame(m.ctx, Header{Fin: true, Opcode: m.op}, nil, true, m.w.c.writeTimeout)
	}
	if err != nil {
		m.abandon(err)
	}
	return err
}

// abandon deals with a message whose frame failed with nothing of that
// frame written (a write that finds its context done ends so, and leaves
// the connection as it was). Once a fragment of the message has gone out
// or into the buffer, the peer holds a message that can never be
// finished, so the connection fails, as frames does; before that, a
// compressed message's bytes are taken out of the compressor, whose
// context the peer never saw.
func (m *messageWriter) abandon(err error) {
	if m.op == OpContinuation {
		if !m.w.c.closeSent.Load() {
			m.w.c.shutdown(&CloseError{Code: StatusAbnormalClosure, Reason: "write abandoned mid-message", Err: err})
		}
		return
	}
	if m.z != nil {
		m.z.abandon()
		m.wrote = false
	}
}

// writeCompressed feeds p to the compressor and sends what came out, if
// anything, as the next fragment.
func (m *messageWriter) writeCompressed(p []byte) (int, error) {
	z := m.z
	_, _ = z.fw.Write(p) // writes to z, which cannot fail
	m.wrote = true
	if len(z.out) == 0 {
		return len(p), nil
	}
	err := m.w.frames(m.ctx, Header{Rsv: m.rsv, Opcode: m.op}, z.out, false)
	z.out = z.out[:0]
	if err != nil {
		m.abandon(err) // p is in the compressor, not on the wire
		return 0, err
	}
	m.op = OpContinuation
	m.rsv = 0
	return len(p), nil
}
