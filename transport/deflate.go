package transport

import (
	"compress/flate"
	"errors"
	"fmt"
)

// DefaultCompressionThreshold is the size below which a message is sent
// uncompressed when CompressionOptions.Threshold is zero. Below about
// 128 bytes DEFLATE saves a few bytes at best (compress/flate's fastest
// level does not even look for repeats in a block that small), while every
// compressed message costs a flush of the compressor; the frame and TCP/IP
// headers already outweigh the saving.
const DefaultCompressionThreshold = 128

// Default DEFLATE levels, chosen by measurement on 1 KiB JSON-like
// messages (docs/architecture.md). With context takeover, level 5 sends
// about 30% fewer bytes than level 1 for under 10% more CPU. Without it
// the compressor is reset before every message, and compress/flate's reset
// clears 640 KiB of hash tables at every level but 1, which doubles the
// cost of level 5; level 1 skips that.
const (
	defaultLevelTakeover   = 5
	defaultLevelNoTakeover = flate.BestSpeed
)

// ErrInvalidCompression means CompressionOptions holds a value out of
// range: window bits other than 0 or 8–15, or a level other than 0 or 1–9.
var ErrInvalidCompression = errors.New("transport: invalid compression options")

// ErrExtension means the server's answer to the permessage-deflate offer
// breaks RFC 7692 §7: an unknown parameter, a missing, malformed or
// repeated value, a parameter the client did not offer, more than one
// permessage-deflate, or a configuration the client cannot honour. Dial
// returns it inside a *HandshakeError with StatusCode 101.
var ErrExtension = errors.New("transport: invalid extension negotiation")

// CompressionOptions configures permessage-deflate (RFC 7692). A nil
// *CompressionOptions, the default in DialOptions and AcceptOptions,
// turns compression off; the zero value turns it on with the defaults
// below.
//
// Compression is off by default for three reasons. It costs CPU on both
// sides for every message and, with context takeover, about 1 MiB of
// memory per sending connection (compress/flate's compressor) and 100 KiB
// per receiving one. A compression context shared by secrets and data an
// attacker controls leaks the secrets through the compressed sizes (the
// CRIME and BREACH attacks): turn it on only when the messages of a
// connection do not mix the two, or use the NoContextTakeover options to
// narrow the shared context to one message. And most feeds send small
// messages, which gain little. Turn it on for large or repetitive
// messages (JSON order books, telemetry batches) on bandwidth-bound links.
//
// This implementation uses compress/flate, which cannot limit its
// compression window: when a window below 15 bits is negotiated for this
// side, messages longer than the window are sent uncompressed (legal,
// since RFC 7692 compresses per message) and shorter ones are compressed
// with a fresh context, so the peer's limit is honoured exactly.
// Receiving needs nothing special: the decompressor handles any window.
type CompressionOptions struct {
	// ClientNoContextTakeover asks that the client reset its compressor
	// after every message. A client offering it keeps the promise whether
	// or not the server echoes it; a server setting it requires it of the
	// client. It limits the shared compression context to one message at
	// the cost of ratio. Default: false.
	ClientNoContextTakeover bool

	// ServerNoContextTakeover asks that the server reset its compressor
	// after every message (it saves the client's decompressor the copy of
	// its window). A server may also declare it unasked. Default: false.
	ServerNoContextTakeover bool

	// ClientMaxWindowBits limits the client's compression window to
	// 2^bits bytes, 8 to 15. On Dial it is offered as
	// client_max_window_bits; on Accept it is asked of clients that offer
	// the parameter. Default (0): no limit asked.
	ClientMaxWindowBits int

	// ServerMaxWindowBits limits the server's compression window to
	// 2^bits bytes, 8 to 15. On Dial it is requested as
	// server_max_window_bits; on Accept the server declares it. Default
	// (0): no limit asked.
	ServerMaxWindowBits int

	// Threshold is the smallest message, in bytes, that Write compresses;
	// smaller ones go uncompressed. Negative: compress every message.
	// Default (0): DefaultCompressionThreshold. Writer ignores it, since a
	// streamed message's size is not known up front. While this side's
	// compression window is the full 15 bits, Writer compresses every
	// message but an empty one, whatever its size. When a smaller window
	// was negotiated for this side (client_max_window_bits for a client,
	// server_max_window_bits for a server), Writer sends every message
	// uncompressed, since it might outgrow the window.
	Threshold int

	// Level is the DEFLATE level, 1 (fastest) to 9 (smallest). Default
	// (0): 5 while this side keeps its compression context, 1 when it
	// resets it for every message (no context takeover, or a window below
	// 15 bits), where higher levels cost twice as much to reset.
	Level int
}

// check validates the options the program supplied.
func (o *CompressionOptions) check() error {
	if o == nil {
		return nil
	}
	for _, b := range [...]struct {
		name string
		v    int
	}{{"ClientMaxWindowBits", o.ClientMaxWindowBits}, {"ServerMaxWindowBits", o.ServerMaxWindowBits}} {
		if b.v != 0 && (b.v < minWindowBits || b.v > maxWindowBits) {
			return fmt.Errorf("%w: %s must be 0 or 8 to 15", ErrInvalidCompression, b.name)
		}
	}
	if o.Level < 0 || o.Level > flate.BestCompression {
		return fmt.Errorf("%w: Level must be 0 to 9", ErrInvalidCompression)
	}
	return nil
}

// Window sizes of RFC 7692 §7.1.2, as base-2 logarithms.
const (
	minWindowBits = 8
	maxWindowBits = 15
)

// DeflateParams is the permessage-deflate configuration a connection
// runs with, as negotiated in the opening handshake.
type DeflateParams struct {
	// ClientNoContextTakeover: the client resets its compressor after
	// every message, because the server asked for it or the client
	// offered it.
	ClientNoContextTakeover bool
	// ServerNoContextTakeover: the server resets its compressor after
	// every message.
	ServerNoContextTakeover bool
	// ClientMaxWindowBits is the client's compression window, 8 to 15.
	ClientMaxWindowBits int
	// ServerMaxWindowBits is the server's compression window, 8 to 15.
	ServerMaxWindowBits int
}

// Compression reports the permessage-deflate parameters the handshake
// settled on, and false when the connection does not use compression.
func (c *Conn) Compression() (DeflateParams, bool) {
	if c.deflate == nil {
		return DeflateParams{}, false
	}
	return c.deflate.params, true
}

// deflateConfig is what the handshake hands newConn when compression was
// negotiated.
type deflateConfig struct {
	params    DeflateParams
	level     int
	threshold int
}

func newDeflateConfig(p DeflateParams, o *CompressionOptions) *deflateConfig {
	d := &deflateConfig{params: p, level: o.Level, threshold: o.Threshold}
	if d.threshold == 0 {
		d.threshold = DefaultCompressionThreshold
	}
	return d
}

// sendParams returns, for this side of the connection, whether its
// compressor resets after each message and its window in bits.
func (d *deflateConfig) sendParams(client bool) (noTakeover bool, bits int) {
	if client {
		return d.params.ClientNoContextTakeover, d.params.ClientMaxWindowBits
	}
	return d.params.ServerNoContextTakeover, d.params.ServerMaxWindowBits
}

// peerTakesOver reports whether the peer may refer back to earlier
// messages, so the decompressor must keep its window between them.
func (d *deflateConfig) peerTakesOver(client bool) bool {
	if client {
		return !d.params.ServerNoContextTakeover
	}
	return !d.params.ClientNoContextTakeover
}
