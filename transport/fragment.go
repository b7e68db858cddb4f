package transport

import (
	"context"
	"time"
)

// DefaultFragmentSize is the largest frame a data message is sent in when
// DialOptions.FragmentSize or AcceptOptions.FragmentSize is zero: a longer
// message goes out as fragments of this size (RFC 6455 §5.4).
//
// A control frame (a ping, the pong the peer's ping is owed, a close) can
// only go out between frames, so the fragment size bounds how long it
// waits behind a large message: 32 KiB is 0.25 s at 128 KiB/s, well inside
// a heartbeat's timeout, where one 6 MiB frame would hold it for 48 s. The
// cost is a header of at most 14 bytes per 32 KiB (0.04%) and one more
// pass through the frame lock. BenchmarkWriteFragmentSize (a client writing
// 1 MiB messages) measured 4 KiB fragments at twice the cost of one frame,
// and 16, 32 and 64 KiB within noise of it; above 64 KiB a ping waits half
// a second on a 128 KiB/s link. Most messages are far smaller and go out
// as one frame, as before.
const DefaultFragmentSize = 32 << 10

// fragmentSize resolves the option: zero means the default, negative
// means off (0 here).
func fragmentSize(opt int) int {
	switch {
	case opt == 0:
		return DefaultFragmentSize
	case opt < 0:
		return 0
	}
	return opt
}

// frames writes p as the frames of one message from the frame with header h
// on. With fragmentation on and p longer than the fragment size, p goes out
// in fragments: h's opcode and RSV bits on the first (RFC 7692 §6.1 sets
// RSV1 on the first frame of a compressed message only), OpContinuation on
// the rest, and h.Fin on the last. Each fragment takes the frame lock on
// its own, so control frames written meanwhile go out between fragments;
// the caller holds msgSem, so no other data frame can. Only the last
// fragment is flushed, if flush is set; the others reach the network as
// the buffer fills.
//
// A failure after the first fragment leaves the peer with part of a
// message that can never be finished, so it fails the connection (unless a
// close frame is already out, which ends the stream cleanly on its own).
func (w *writer) frames(ctx context.Context, h Header, p []byte, flush bool) error {
	timeout := w.c.writeTimeout
	if w.frag <= 0 || len(p) <= w.frag {
		return w.frame(ctx, h, p, flush, timeout)
	}
	fin := h.Fin
	for first := true; ; first = false {
		n := min(len(p), w.frag)
		last := n == len(p)
		h.Fin = fin && last
		err := w.fragment(ctx, h, p[:n], flush && last, timeout, first)
		if err != nil {
			if !first && !w.c.closeSent.Load() {
				w.c.shutdown(&CloseError{Code: StatusAbnormalClosure, Reason: "write abandoned mid-message", Err: err})
			}
			return err
		}
		if last {
			return nil
		}
		p = p[n:]
		h.Opcode, h.Rsv = OpContinuation, 0
	}
}

// fragment writes one fragment; the first takes the frame lock as any frame
// does, the others after the control frames waiting for it.
func (w *writer) fragment(ctx context.Context, h Header, p []byte, flush bool, timeout time.Duration, first bool) error {
	if first {
		return w.frame(ctx, h, p, flush, timeout)
	}
	if err := acquireFragment(ctx, w.frameSem, timeout); err != nil {
		return err
	}
	defer release(w.frameSem)
	return w.frameLocked(ctx, h, p, flush, timeout)
}
