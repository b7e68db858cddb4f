package wstest

import (
	"bytes"
	"fmt"

	"github.com/sturdyws/sturdy/transport"
)

// Fault is something a misbehaving server does to an open connection.
// Build one with Drop, Reset, CloseWith, Stall or Raw; apply it with
// Server.Inject and Server.InjectAll, or from a Rule. The zero Fault does
// nothing.
type Fault struct {
	kind   faultKind
	code   transport.StatusCode
	reason string
	raw    []byte
}

type faultKind int

const (
	faultNone faultKind = iota
	faultDrop
	faultReset
	faultClose
	faultStall
	faultRaw
)

// Drop closes the TCP connection without a close frame: the client sees an
// abnormal closure (1006) once it has read what was sent before.
func Drop() Fault { return Fault{kind: faultDrop} }

// Reset aborts the TCP connection with a RST (SO_LINGER 0, then close):
// the client sees 1006 with a connection-reset error, and data still in
// flight may be lost.
func Reset() Fault { return Fault{kind: faultReset} }

// CloseWith starts the closing handshake with code and reason, e.g. 1001
// going away, 1012 service restart, 1013 try again later or 4000–4999 for
// the application. The server waits for the client's close frame up to
// Options.CloseTimeout, then closes the TCP connection.
//
// code must be one a close frame may carry (1000–1003, 1007–1014,
// 3000–4999) and reason at most 123 bytes of UTF-8, or CloseWith panics:
// that is a mistake in the test. To send a malformed close frame, use
// Raw(CloseFrame(…)).
func CloseWith(code transport.StatusCode, reason string) Fault {
	if err := transport.CheckCloseArgs(code, reason); err != nil {
		panic(fmt.Sprintf("wstest: CloseWith(%d, %q): %v", int(code), reason, err))
	}
	return Fault{kind: faultClose, code: code, reason: reason}
}

// Stall turns the connection into a half-open, silent peer: the server
// stops reading, so pings go unanswered and close frames unacknowledged,
// and stops writing, while the TCP connection stays open. A stalled
// connection counts as live until it is dropped or reset or the server
// closes: like a real half-open peer, the server does not notice the client
// leaving. A message half-read when the stall begins is lost, and with it
// the connection.
func Stall() Fault { return Fault{kind: faultStall} }

// Raw writes p to the socket as it is, between whole messages, for
// protocol-violation tests: see Frame and CloseFrame for building bytes.
// The connection is otherwise left alone.
func Raw(p []byte) Fault { return Fault{kind: faultRaw, raw: bytes.Clone(p)} }

// String describes the fault, e.g. "close(1012 ServiceRestart)".
func (f Fault) String() string {
	switch f.kind {
	case faultDrop:
		return "drop"
	case faultReset:
		return "reset"
	case faultClose:
		return fmt.Sprintf("close(%d %s)", int(f.code), f.code)
	case faultStall:
		return "stall"
	case faultRaw:
		return fmt.Sprintf("raw(%d bytes)", len(f.raw))
	}
	return "none"
}
