package wstest

import (
	"log/slog"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// Options configures a Server. The zero value is ready to use: a server on
// 127.0.0.1 whose every path accepts the handshake, records what it
// receives and sends nothing.
type Options struct {
	// Addr is the address to listen on, host:port, e.g. "127.0.0.1:18080"
	// for a server a test must find at a known port; Restart listens on
	// it again after Stop. Any address net.Listen takes is accepted, but
	// the server is meant for the loopback interface: it skips the origin
	// check. Default: a random port of 127.0.0.1 (or [::1] with IPv6), which
	// Restart also reuses.
	Addr string

	// IPv6 makes the server listen on [::1] instead of 127.0.0.1 when Addr
	// is empty. Default: false.
	IPv6 bool

	// ReadRate limits how fast the server reads from each connection, in
	// bytes per second, to play a slow link: a client's large message
	// crawls across at that rate, making progress all along, and what the
	// client sends behind it (a ping, the next message) waits its turn, as
	// on a real link with a deep buffer. The kernel's socket buffers on
	// both sides (a few MiB on loopback) fill at full speed first, so the
	// limit shows once they are full. Only reads are throttled; what the
	// server sends (pongs, echoes) goes at full speed. SetReadRate changes
	// it at any time. Default (0): no limit.
	ReadRate int64

	// Routes maps a request path (URL.Path, exact match) to its behaviour.
	// Default: none, so every path gets Default.
	Routes map[string]Behavior

	// Default is the behaviour of paths not in Routes. Default: the zero
	// Behavior, which accepts, records and stays silent.
	Default Behavior

	// ByConnection maps a connection ordinal (1, 2, 3… in handshake order)
	// to the behaviour that connection runs instead of its route's, e.g.
	// to make only the second connection stream. The ordinal is known only
	// once the handshake is accepted, so the route's Check still decides
	// the handshake and the Check of a behaviour here is not used.
	// Default: none.
	ByConnection map[int]Behavior

	// Script lists faults the server injects by itself, by connection
	// ordinal, message count or time; see Rule. Default: none.
	Script []Rule

	// Subprotocols the server accepts, most preferred first. Default: none.
	Subprotocols []string

	// Compression makes the server accept permessage-deflate offers with
	// these options (see transport.AcceptOptions.Compression), so clients
	// can be tested with compression on. The server copies them. Default:
	// nil, compression declined.
	Compression *transport.CompressionOptions

	// ReadLimit is the largest message the server reads; a larger one fails
	// the connection with 1009. Default (0): transport.DefaultReadLimit.
	ReadLimit int64

	// CloseTimeout bounds the closing handshake of a CloseWith fault: how
	// long the server waits for the client's close frame. Default (0):
	// transport.DefaultCloseTimeout.
	CloseTimeout time.Duration

	// Logger receives a debug record for each handshake, connection end and
	// fault. Header values are never logged. Default: nil, silent.
	Logger *slog.Logger
}
