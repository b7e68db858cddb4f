package wsraw

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"strings"
)

// The framer's permessage-deflate (RFC 7692), for the compressed
// scenarios, in two modes: no context takeover either way (each message
// compressed and decompressed on its own), or context kept both ways
// (KeepContext).

// Responses the benchmark server answers a permessage-deflate offer with.
const (
	// DeflateResponse resets both contexts per message: the only mode
	// gorilla implements, so every library can run it.
	DeflateResponse = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	// DeflateResponseContext keeps both contexts, 15-bit windows.
	DeflateResponseContext = "permessage-deflate"
)

// deflateWindow is how much history a kept context can refer to.
const deflateWindow = 32 << 10

// ErrNotServer reports a compressed write from a client Conn, which the
// framer does not implement (it would need masking).
var ErrNotServer = errors.New("wsraw: compressed writes are server-only")

// deflateTail ends every sync flush; senders strip it (RFC 7692 §7.2.1).
// Inflate puts it back and adds finalBlock, an empty final stored block,
// so that the decompressor ends cleanly and a message that stops inside a
// block is an error.
var (
	deflateTail = []byte{0x00, 0x00, 0xff, 0xff}
	finalBlock  = []byte{0x01, 0x00, 0x00, 0xff, 0xff}
)

// OffersDeflate reports whether a Sec-WebSocket-Extensions value offers
// permessage-deflate (any parameters: the response sets the mode, and
// every parameter the framer answers with may be imposed by a server).
func OffersDeflate(offer string) bool {
	for _, ext := range strings.Split(offer, ",") {
		name, _, _ := strings.Cut(ext, ";")
		if strings.TrimSpace(name) == "permessage-deflate" {
			return true
		}
	}
	return false
}

// deflater is a Conn's compressor and decompressor, made on first use.
type deflater struct {
	w   *flate.Writer
	out bytes.Buffer
	r   io.ReadCloser
	src bytes.Reader
	in  []byte
	// keep: contexts are taken over; window is the peer's last 32 KiB.
	keep   bool
	window []byte
}

// KeepContext switches the Conn's compression to context takeover both
// ways, before its first compressed message. It compresses at level 5
// then, as sturdy does with its context kept: compress/flate's level 1
// matches only against the previous block, and forgets even that after a
// block under 128 bytes, so it would barely use the context.
func (c *Conn) KeepContext() {
	z := c.deflater()
	z.keep = true
	z.w, _ = flate.NewWriter(&z.out, 5)
}

func (c *Conn) deflater() *deflater {
	if c.z == nil {
		c.z = &deflater{}
		// Level 1, as gorilla, coder and sturdy use without context
		// takeover; NewWriter fails only for a bad level.
		c.z.w, _ = flate.NewWriter(&c.z.out, flate.BestSpeed)
		c.z.r = flate.NewReader(&c.z.src)
	}
	return c.z
}

// Compress returns p compressed, the tail stripped: a permessage-deflate
// payload, from a fresh context unless KeepContext was called. It is
// valid until the next call.
func (c *Conn) Compress(p []byte) []byte {
	z := c.deflater()
	z.out.Reset()
	if !z.keep {
		z.w.Reset(&z.out)
	}
	_, _ = z.w.Write(p) // a bytes.Buffer does not fail
	_ = z.w.Flush()
	return bytes.TrimSuffix(z.out.Bytes(), deflateTail)
}

// Inflate decompresses the payload of a compressed message. The result
// is valid until the next call.
func (c *Conn) Inflate(p []byte) ([]byte, error) {
	z := c.deflater()
	z.in = append(append(append(z.in[:0], p...), deflateTail...), finalBlock...)
	z.src.Reset(z.in)
	var dict []byte
	if z.keep {
		dict = z.window
	}
	if err := z.r.(flate.Resetter).Reset(&z.src, dict); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	_, err := io.Copy(&out, z.r)
	if z.keep && err == nil {
		z.window = append(z.window, out.Bytes()...)
		if len(z.window) > deflateWindow {
			z.window = append(z.window[:0], z.window[len(z.window)-deflateWindow:]...)
		}
	}
	return out.Bytes(), err
}

// WriteCompressed buffers wire, a payload from Compress, as one final
// frame with opcode op and RSV1 set.
func (c *Conn) WriteCompressed(op byte, wire []byte) error {
	if c.Client {
		return ErrNotServer
	}
	h := Header{Fin: true, Rsv1: true, Op: op, Length: int64(len(wire))}
	if c.BW.Available() < MaxHeader {
		if err := c.BW.Flush(); err != nil {
			return err
		}
	}
	_, _ = c.BW.Write(AppendHeader(c.BW.AvailableBuffer(), h))
	_, err := c.BW.Write(wire)
	return err
}
