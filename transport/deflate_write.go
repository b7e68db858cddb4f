package transport

import (
	"bytes"
	"compress/flate"
	"context"
)

// compressor compresses the outgoing messages of one connection. The
// DEFLATE writer is created on the first message that needs it and kept,
// so steady-state messages allocate nothing and a connection that only
// receives never pays for one. It is used under the writer's msgSem.
type compressor struct {
	fw        *flate.Writer
	out       []byte // compressed bytes not yet framed
	level     int
	threshold int
	// reset: no context takeover for this side, so every message starts
	// from an empty window.
	reset bool
	// maxLen: with a window below 15 bits, the longest message that can be
	// compressed (from a fresh context, so that no match reaches further
	// back than the message itself); -1 when the window is the full 32 KiB.
	maxLen int
	dirty  bool // the writer holds context that reset must clear
}

func newCompressor(d *deflateConfig, client bool) *compressor {
	noTakeover, bits := d.sendParams(client)
	z := &compressor{level: d.level, threshold: d.threshold, reset: noTakeover, maxLen: -1}
	if bits < maxWindowBits {
		z.maxLen = 1 << bits
	}
	if z.level == 0 {
		z.level = defaultLevelTakeover
		if z.reset || z.maxLen >= 0 {
			z.level = defaultLevelNoTakeover
		}
	}
	return z
}

// Write collects the DEFLATE writer's output.
func (z *compressor) Write(p []byte) (int, error) {
	z.out = append(z.out, p...)
	return len(p), nil
}

// wants reports whether a message of n bytes, written whole, should be
// compressed.
func (z *compressor) wants(n int) bool {
	return n >= z.threshold && (z.maxLen < 0 || n <= z.maxLen)
}

// start readies the DEFLATE writer for a message.
func (z *compressor) start() {
	z.out = z.out[:0]
	if z.fw == nil {
		// The level was checked with the options, so this cannot fail.
		z.fw, _ = flate.NewWriter(z, z.level)
		return
	}
	if z.dirty && (z.reset || z.maxLen >= 0) {
		z.fw.Reset(z)
		z.dirty = false
	}
}

// finish flushes the DEFLATE writer and strips the sync marker from the
// end of the output (RFC 7692 §7.2.1). It returns false if the marker is
// not there, which compress/flate never does; the context is then
// dropped, since the peer will not see this output.
func (z *compressor) finish() bool {
	_ = z.fw.Flush() // writes to z, which cannot fail
	z.dirty = true
	if !bytes.HasSuffix(z.out, deflateTail[:]) {
		z.fw.Reset(z)
		z.dirty = false
		return false
	}
	z.out = z.out[:len(z.out)-len(deflateTail)]
	return true
}

// writeCompressed sends p as one compressed message with RSV1 set on its
// first frame.
func (w *writer) writeCompressed(ctx context.Context, typ MessageType, p []byte, flush bool) error {
	z := w.z
	z.start()
	_, _ = z.fw.Write(p) // writes to z, which cannot fail
	if !z.finish() {
		return w.frames(ctx, Header{Fin: true, Opcode: Opcode(typ)}, p, flush)
	}
	err := w.frames(ctx, Header{Fin: true, Rsv: rsv1, Opcode: Opcode(typ)}, z.out, flush)
	if err != nil {
		// Not sent, or the connection failed with it: either way no
		// later message may refer back to it.
		z.abandon()
	}
	return err
}

// abandon drops the context of a message the peer will not see, so that
// later messages do not refer back to it.
func (z *compressor) abandon() {
	z.fw.Reset(z)
	z.dirty = false
	z.out = z.out[:0]
}
