package transport

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MessageType is the type of a data message: text (UTF-8) or binary.
type MessageType int

// Message types, numbered as their opcodes (RFC 6455 §5.6).
const (
	MessageText   MessageType = MessageType(OpText)
	MessageBinary MessageType = MessageType(OpBinary)
)

// String returns "Text" or "Binary".
func (t MessageType) String() string {
	switch t {
	case MessageText:
		return "Text"
	case MessageBinary:
		return "Binary"
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// Defaults for the options that size a connection.
const (
	// DefaultReadLimit bounds the size of one inbound message.
	DefaultReadLimit = 16 << 20
	// DefaultBufferSize is the default write buffer size and the size
	// the adaptive read buffer starts at.
	DefaultBufferSize = 4096
	// DefaultCloseTimeout bounds the close handshake.
	DefaultCloseTimeout = 5 * time.Second
)

// connConfig is what Dial and Accept hand to newConn once the opening
// handshake has succeeded.
type connConfig struct {
	nc net.Conn
	// pending is what was read from nc past the handshake: frames the
	// peer sent right behind it. The Conn copies it.
	pending []byte
	// readBufferSize, when positive, fixes the read buffer's size; zero
	// or less lets it adapt (readBuffer.init).
	readBufferSize  int
	client          bool
	subprotocol     string
	readLimit       int64
	writeBufferSize int
	// fragmentSize is the option as given: zero for the default,
	// negative for no fragmentation (fragmentSize resolves it).
	fragmentSize int
	writeTimeout time.Duration
	closeTimeout time.Duration
	onPing       func(payload []byte)
	onPong       func(payload []byte)
	// noIdleReads turns the idle responder off (idle.go).
	noIdleReads bool
	// deflate is the negotiated permessage-deflate, or nil.
	deflate *deflateConfig
}

// Conn is a WebSocket connection, client or server side.
//
// Writes (Write, Writer, Ping, Close) are safe for concurrent use; a message
// written with Write or Writer is never interleaved with another, though
// control frames go out between its fragments (see DialOptions.FragmentSize). Reads
// (Read, ReadInto, Reader) allow one reader at a time; a second concurrent
// reader waits for the first message to be consumed. Control frames are
// handled by whichever goroutine is reading: a ping is answered as soon as
// it is read, even in the middle of a fragmented message. When no read call
// has finished for 20–40 ms and none is in progress, the Conn reads on its
// own: it answers pings and passes pongs to OnPong as they arrive, and
// stops at the next data message or close frame, which waits for the
// application (so a reply it is about to write still goes out before the
// close is echoed). A ping the peer sent after a message the application
// has not read yet is answered once that message is read: the stream is in
// order.
// DialOptions.NoIdleReads and AcceptOptions.NoIdleReads turn that off.
type Conn struct {
	nc           net.Conn
	client       bool
	subprotocol  string
	writeTimeout time.Duration
	closeTimeout time.Duration
	onPing       func([]byte)
	onPong       func([]byte)
	deflate      *deflateConfig

	rd   reader
	wr   writer
	idle idleWatch

	closeOnce sync.Once
	closed    chan struct{} // closed by shutdown
	ended     atomic.Bool   // set by shutdown first: a cheaper test than closed
	closeErr  error         // why the connection ended; set before closed is closed
	closeSent atomic.Bool   // a close frame went out (or was attempted): no more data frames
	closeRcvd lazyChan      // closed when the peer's close frame has been read
	// broken is set when a write found the peer gone: writes fail with it
	// while the read side drains (drain.go), for at most the close
	// timeout, which drainTimer bounds.
	broken     atomic.Pointer[CloseError]
	drainTimer atomic.Pointer[time.Timer]
	rcvdOnce   sync.Once

	// written counts the bytes the socket has taken (BytesWritten).
	written  atomic.Uint64
	rawState // the socket beneath nc, for WriteProgress
}

func newConn(cfg connConfig) *Conn {
	if cfg.readLimit <= 0 {
		cfg.readLimit = DefaultReadLimit
	}
	if cfg.writeBufferSize <= 0 {
		cfg.writeBufferSize = DefaultBufferSize
	}
	if cfg.closeTimeout <= 0 {
		cfg.closeTimeout = DefaultCloseTimeout
	}
	c := &Conn{
		nc:           cfg.nc,
		client:       cfg.client,
		subprotocol:  cfg.subprotocol,
		writeTimeout: cfg.writeTimeout,
		closeTimeout: cfg.closeTimeout,
		onPing:       cfg.onPing,
		onPong:       cfg.onPong,
		deflate:      cfg.deflate,
		closed:       make(chan struct{}),
	}
	c.rd.init(c, cfg.pending, cfg.readBufferSize, cfg.readLimit)
	c.wr.init(c, cfg.writeBufferSize, fragmentSize(cfg.fragmentSize))
	if cfg.deflate != nil {
		c.rd.deflate = cfg.deflate
		c.wr.z = newCompressor(cfg.deflate, cfg.client)
	}
	if !cfg.noIdleReads {
		c.idle.init(c)
		c.idle.arm(c) // for an application that never reads
	}
	return c
}

// Subprotocol returns the subprotocol the handshake selected, or "".
func (c *Conn) Subprotocol() string { return c.subprotocol }

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// RemoteAddr returns the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// SetReadLimit sets the largest message, in bytes, that a read accepts; a
// larger one fails the connection with 1009. It is safe for concurrent use
// and applies from the next message on.
func (c *Conn) SetReadLimit(n int64) {
	if n <= 0 {
		n = DefaultReadLimit
	}
	c.rd.limit.Store(n)
}

// Done returns a channel that is closed when the connection has ended, for
// whatever reason. It is safe for concurrent use.
func (c *Conn) Done() <-chan struct{} { return c.closed }

// Err returns why the connection ended (a *CloseError, a *ProtocolError or
// a network error), or nil while it is open. It is safe for concurrent use.
func (c *Conn) Err() error {
	select {
	case <-c.closed:
		return c.closeErr
	default:
		return nil
	}
}

// BytesWritten returns how many bytes of frames the network connection has
// taken since the Conn opened (for TLS, bytes before encryption), counted
// as each write system call returns, including the part a failed write
// got through. It is what a liveness check reads to tell a slow link that
// is moving from a dead one: while the count grows, the peer's TCP is
// accepting data (heartbeat.Options.Progress). One atomic load; safe for
// concurrent use.
func (c *Conn) BytesWritten() uint64 { return c.written.Load() }

// NetConn returns the underlying network connection. Reading from or writing
// to it corrupts the WebSocket stream; it is meant for socket options.
func (c *Conn) NetConn() net.Conn { return c.nc }
