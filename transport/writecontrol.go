package transport

import (
	"context"
	"net"
	"time"
)

// loneControl writes a control frame on its own, when nothing else is
// buffered. Over a plain socket it first offers the frame to the kernel
// without waiting (tryWrite): a frame of at most 139 bytes nearly always
// fits in the send buffer at once, and then no deadline is armed or
// disarmed and ctx is not watched, so an idle connection's pings and
// pongs cost one system call each and no timer update or context
// registration. Only when the socket cannot take it all (its buffer is
// full, a cancelled ctx, TLS) is the rest written as any frame is, under
// the write timeout and ctx.
func (w *writer) loneControl(ctx context.Context, h Header, p []byte, timeout time.Duration) error {
	b := w.encodeControl(h, p)
	if ctx.Err() == nil {
		b = b[w.tryWrite(b):]
		if len(b) == 0 {
			return nil
		}
	}
	return w.finishControl(ctx, b, timeout)
}

// finishControl writes what is left of a control frame that tryWrite did
// not take, under the write timeout and ctx, as any frame is written.
func (w *writer) finishControl(ctx context.Context, b []byte, timeout time.Duration) error {
	armed := w.dl.arm(ctx, timeout)
	err := w.send(b)
	if armed {
		w.dl.disarm()
	}
	if err != nil {
		return w.failed(ctx, err)
	}
	return nil
}

// encodeControl encodes a control frame into a small buffer of its own
// rather than the write buffer: a connection whose only writes are pings
// and pongs (an idle one) then never makes the write buffer, and holds
// 139 bytes instead of 4 KiB.
func (w *writer) encodeControl(h Header, p []byte) []byte {
	if w.ctl == nil {
		w.ctl = new([MaxHeaderSize + MaxControlPayload]byte)
	}
	h.Length = int64(len(p))
	if w.c.client {
		h.Masked = true
		if w.keys.rng == nil {
			h.Mask = oneKey() // see oneKey: no generator for pings alone
		} else {
			h.Mask = w.keys.next()
		}
	}
	n := PutHeader(w.ctl[:], h)
	k := copy(w.ctl[n:], p)
	if h.Masked {
		maskBytes(h.Mask, 0, w.ctl[n:n+k])
	}
	return w.ctl[:n+k]
}

// tryWrite offers b to the socket once, without waiting, and returns how
// much of it the socket took (counted in BytesWritten). It writes only to
// a plain TCP or Unix socket: beneath TLS, or beneath a wrapper that may
// change what it writes, the bytes are not the socket's to write.
func (w *writer) tryWrite(b []byte) int {
	switch w.c.nc.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return 0
	}
	rc := w.c.rawConn()
	if rc == nil {
		return 0
	}
	n := w.now.write(rc, b)
	w.c.written.Add(uint64(n))
	return n
}
