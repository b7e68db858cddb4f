package transport

import (
	"bufio"
	"errors"
	"io"
)

// Sizes of the adaptive read buffer (ReadBufferSize 0).
const (
	// MaxReadBufferSize is as large as the read buffer grows while the
	// peer keeps it full. A read system call costs about the same whether
	// it brings 4 KiB or 64 KiB off a busy socket, so a stream of small
	// messages pays up to 16 times fewer of them (bench/: push-1k went
	// from 0.25 to 0.02 calls a message and from ~1.1 µs to ~0.5 µs of
	// CPU). 64 KiB is a loopback segment and most of a TCP receive window
	// early in a connection; larger sizes measured no better.
	MaxReadBufferSize = 64 << 10

	// shrinkAfter is how many reads in a row must bring at most an eighth
	// of a grown buffer before it returns to DefaultBufferSize: enough
	// that a stream whose reads vary does not reallocate back and forth,
	// few enough that a connection whose backlog has gone gives the
	// memory back within a few dozen messages.
	shrinkAfter = 64

	// tinyBuffer is the size of the buffer an idle connection reads with:
	// it holds a ping or a pong with its payload (10–20 bytes), so a
	// connection whose only traffic is the heartbeat keeps no allocated
	// read buffer at all. A read that fills it (more was likely waiting)
	// brings back DefaultBufferSize.
	tinyBuffer = 32

	// maxEmptyReads bounds the reads in a row that may bring nothing and
	// no error, as bufio does: a source that does that forever is broken.
	maxEmptyReads = 100
)

// errBadCount reports a source whose Read claimed an impossible count.
var errBadCount = errors.New("transport: network connection's Read returned an invalid count")

// readBuffer is the Conn's buffered reader over the network connection:
// a bufio.Reader, but one whose buffer follows the traffic. A connection
// starts with DefaultBufferSize; each read that fills all the free space
// (the socket had at least that much waiting) doubles the buffer, up to
// MaxReadBufferSize, and shrinkAfter reads in a row that bring little
// take it back to the start. A busy stream so settles at the large size
// and allocates nothing more. A connection gone quiet (its last read
// brought a control frame's worth, all consumed) waits with an inline
// buffer of tinyBuffer bytes and holds no allocated one until traffic
// returns. A size the application chose (fixed) never changes.
//
// Errors from the source are returned once, after the bytes read with
// them, and then forgotten like bufio's: a read deadline that expired
// (a cancelled context) leaves the stream usable.
type readBuffer struct {
	src   io.Reader
	buf   []byte
	r, w  int   // buf[r:w] is read but not consumed
	err   error // the source's error, for the next call that needs bytes
	lean  int32 // reads in a row that brought at most len(buf)/8
	fixed bool  // the size was chosen: never resize
	quiet bool  // the last read brought at most tinyBuffer/2 bytes
	tiny  [tinyBuffer]byte
}

// readAhead returns what the handshake's reader holds beyond the handshake:
// frames the peer sent right behind its 101 or its request. The Conn
// copies them into its own buffer and reads the network after them.
func readAhead(br *bufio.Reader) []byte {
	b, _ := br.Peek(br.Buffered())
	return b
}

// init sets the buffer up over src with pending (bytes read past the
// handshake, copied) first. size 0 is adaptive; a positive size is fixed.
func (b *readBuffer) init(src io.Reader, pending []byte, size int) {
	b.src = src
	b.fixed = size > 0
	if !b.fixed {
		size = DefaultBufferSize
		// A control frame's worth that came with the handshake (a
		// server's first ping) counts as a quiet read.
		b.quiet = len(pending) > 0 && len(pending) <= tinyBuffer/2
	}
	b.buf = make([]byte, max(size, len(pending), MaxHeaderSize))
	b.r, b.w = 0, copy(b.buf, pending)
}

// buffered returns how many bytes can be had without reading.
func (b *readBuffer) buffered() int { return b.w - b.r }

// size returns the buffer's current size.
func (b *readBuffer) size() int { return len(b.buf) }

// peek returns the next n bytes without consuming them, reading as
// needed. With fewer than n available it returns what there is and the
// error that stopped it. n must be at most MaxHeaderSize or buffered().
func (b *readBuffer) peek(n int) ([]byte, error) {
	for b.w-b.r < n {
		if err := b.fill(); err != nil {
			return b.buf[b.r:b.w], err
		}
	}
	return b.buf[b.r : b.r+n], nil
}

// discard consumes n bytes, at most buffered().
func (b *readBuffer) discard(n int) { b.r += n }

// Read reads into p from the buffer, or, when the buffer is empty and p
// is at least as large, straight from the source (saving a copy). It
// reads from the source at most once.
func (b *readBuffer) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.r == b.w {
		if b.err != nil {
			return 0, b.takeErr()
		}
		if len(p) >= len(b.buf) && len(b.buf) > tinyBuffer {
			n, err := b.src.Read(p)
			if n < 0 || n > len(p) {
				return 0, errBadCount
			}
			return n, err
		}
		if err := b.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}

// fill reads from the source once into the free space, first moving the
// unconsumed bytes to the front (to a small buffer, if a run of lean
// reads has earned one), and adapts the buffer's size to what the read
// brought. It returns an error only when it brought nothing.
func (b *readBuffer) fill() error {
	if b.err != nil {
		return b.takeErr()
	}
	b.makeRoom()
	space := len(b.buf) - b.w
	for range maxEmptyReads {
		n, err := b.src.Read(b.buf[b.w:])
		if n < 0 || n > space {
			return errBadCount
		}
		if n > 0 {
			b.w += n
			b.err = err
			b.adapt(n, space)
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// fillNow is fill for a caller that must not wait (TryReadInto): one
// non-blocking read of the socket beneath src into the free space. It
// reports whether it brought any bytes, and returns a failure the socket
// reported (see rawReader.read), for the caller to keep in err as src's Read
// would have returned it.
func (b *readBuffer) fillNow(rr *rawReader) (bool, error) {
	if b.err != nil {
		return false, nil
	}
	b.makeRoom()
	space := len(b.buf) - b.w
	if space == 0 {
		return false, nil
	}
	n, err := rr.read(b.buf[b.w:])
	if n <= 0 {
		return false, err
	}
	b.w += n
	if n == space {
		// Filled: more was likely waiting, so grow as fill would. A read
		// that brings less says nothing of a backlog here (it takes what
		// came since the last, the moment it is wanted), so it neither
		// counts toward shrinking nor marks the connection quiet: counted,
		// a feed the program kept up with shrank the buffer and grew it
		// back, allocating, again and again.
		b.adapt(n, space)
	}
	return true, nil
}

// makeRoom moves the unconsumed bytes to the front of the buffer, to a
// small buffer if a run of lean reads has earned one, or to the inline
// tiny one when the connection has gone quiet, before a read.
func (b *readBuffer) makeRoom() {
	if b.quiet && b.r == b.w && !b.fixed && len(b.buf) > tinyBuffer {
		// Idle: the last read brought only a control frame or so, and
		// all of it is consumed. Wait for the next with the tiny buffer
		// and let the collector have the other.
		b.buf, b.r, b.w = b.tiny[:], 0, 0
	} else if b.lean >= shrinkAfter && b.w-b.r <= DefaultBufferSize/2 {
		b.resize(DefaultBufferSize)
		b.lean = 0
	} else if b.r > 0 {
		b.w = copy(b.buf, b.buf[b.r:b.w])
		b.r = 0
	}
}

// adapt grows the buffer after a read that filled free space of at least
// half of it (so more was likely waiting), and counts the reads in a row
// that brought at most an eighth of a grown buffer, for fill to shrink it.
func (b *readBuffer) adapt(n, space int) {
	if b.fixed {
		return
	}
	b.quiet = n <= tinyBuffer/2
	switch {
	case len(b.buf) == tinyBuffer:
		if n == space {
			b.resize(DefaultBufferSize)
		}
	case n == space && 2*space >= len(b.buf) && len(b.buf) < MaxReadBufferSize:
		b.resize(min(2*len(b.buf), MaxReadBufferSize))
		b.lean = 0
	case 8*n <= len(b.buf) && len(b.buf) > DefaultBufferSize:
		b.lean++
	default:
		b.lean = 0
	}
}

// resize moves the unconsumed bytes to a new buffer of size bytes, which
// must hold them.
func (b *readBuffer) resize(size int) {
	buf := make([]byte, size)
	b.w = copy(buf, b.buf[b.r:b.w])
	b.r = 0
	b.buf = buf
}

// takeErr returns the stored error and forgets it.
func (b *readBuffer) takeErr() error {
	err := b.err
	b.err = nil
	return err
}
