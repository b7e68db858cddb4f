package transport

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ErrClosed is returned by operations on a Conn that has already closed,
// whether the program closed it, the peer did, or the connection failed.
// The error returned by such a call also wraps the cause of the closure.
var ErrClosed = errors.New("transport: connection closed")

// ErrCloseIncomplete is returned by Close when the peer's close frame did
// not arrive within the close timeout: the connection is closed, but
// nothing proves the peer read what was sent before the close.
var ErrCloseIncomplete = errors.New("transport: closing handshake did not complete")

// StatusCode is a WebSocket close code (RFC 6455 §7.4).
type StatusCode int

// Close codes defined by RFC 6455 §7.4.1 and the IANA registry.
const (
	StatusNormalClosure           StatusCode = 1000
	StatusGoingAway               StatusCode = 1001
	StatusProtocolError           StatusCode = 1002
	StatusUnsupportedData         StatusCode = 1003
	StatusNoStatusReceived        StatusCode = 1005 // never sent on the wire
	StatusAbnormalClosure         StatusCode = 1006 // never sent on the wire
	StatusInvalidFramePayloadData StatusCode = 1007
	StatusPolicyViolation         StatusCode = 1008
	StatusMessageTooBig           StatusCode = 1009
	StatusMandatoryExtension      StatusCode = 1010
	StatusInternalError           StatusCode = 1011
	StatusServiceRestart          StatusCode = 1012
	StatusTryAgainLater           StatusCode = 1013
	StatusBadGateway              StatusCode = 1014
	StatusTLSHandshake            StatusCode = 1015 // never sent on the wire
)

// String returns the code's registered name, or its number.
func (c StatusCode) String() string {
	switch c {
	case StatusNormalClosure:
		return "NormalClosure"
	case StatusGoingAway:
		return "GoingAway"
	case StatusProtocolError:
		return "ProtocolError"
	case StatusUnsupportedData:
		return "UnsupportedData"
	case StatusNoStatusReceived:
		return "NoStatusReceived"
	case StatusAbnormalClosure:
		return "AbnormalClosure"
	case StatusInvalidFramePayloadData:
		return "InvalidFramePayloadData"
	case StatusPolicyViolation:
		return "PolicyViolation"
	case StatusMessageTooBig:
		return "MessageTooBig"
	case StatusMandatoryExtension:
		return "MandatoryExtension"
	case StatusInternalError:
		return "InternalError"
	case StatusServiceRestart:
		return "ServiceRestart"
	case StatusTryAgainLater:
		return "TryAgainLater"
	case StatusBadGateway:
		return "BadGateway"
	case StatusTLSHandshake:
		return "TLSHandshake"
	}
	return "StatusCode(" + strconv.Itoa(int(c)) + ")"
}

// CloseError reports how a connection ended: a close frame from the peer
// (Code and Reason as received), or an abnormal end without one
// (Code StatusAbnormalClosure, with the network error in Err).
type CloseError struct {
	Code   StatusCode
	Reason string
	// Err is the underlying network error for an abnormal closure, if any.
	Err error
}

func (e *CloseError) Error() string {
	s := fmt.Sprintf("transport: closed with %d (%s)", int(e.Code), e.Code)
	if e.Reason != "" {
		s += ": " + strconv.Quote(e.Reason)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the network error behind an abnormal closure.
func (e *CloseError) Unwrap() error { return e.Err }

// CloseStatus returns the close code carried by err (a *CloseError or a
// *ProtocolError anywhere in its chain), or -1 if it carries none.
func CloseStatus(err error) StatusCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return -1
}

// ProtocolError reports that the peer broke RFC 6455 (or a limit of this
// Conn). The connection was failed with Code, which was sent to the peer in a
// close frame when the connection still allowed it.
type ProtocolError struct {
	Code StatusCode
	// Msg says what the peer did, e.g. "masked frame from server".
	Msg string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("transport: protocol error, failing with %d (%s): %s", int(e.Code), e.Code, e.Msg)
}

// HandshakeError is returned by Dial when the server answers the opening
// handshake with something other than 101 Switching Protocols, or with a 101
// that RFC 6455 §4.1 says the client must reject (then StatusCode is 101).
type HandshakeError struct {
	StatusCode int
	// Header is the response header; credentials the client sent are never
	// copied into it.
	Header http.Header
	// Body is the start of the response body, at most 1 KiB.
	Body []byte
	// RetryAfter is the delay the server asked for in a Retry-After header
	// (delta-seconds or an HTTP date), or 0 when it sent none.
	RetryAfter time.Duration
	// Msg explains a rejected 101 response; empty for other statuses.
	Msg string
	// Err is a sentinel for the kind of rejection, when there is one:
	// ErrExtension for a failed permessage-deflate negotiation.
	Err error
}

func (e *HandshakeError) Error() string {
	s := fmt.Sprintf("transport: handshake failed with HTTP %d", e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" && e.StatusCode != http.StatusSwitchingProtocols {
		s += " " + t
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Unwrap returns Err.
func (e *HandshakeError) Unwrap() error { return e.Err }

// closedError is what operations return after the connection has closed: it
// matches ErrClosed and unwraps to the cause.
type closedError struct{ cause error }

func (e *closedError) Error() string {
	if e.cause == nil {
		return ErrClosed.Error()
	}
	return ErrClosed.Error() + ": " + e.cause.Error()
}

func (e *closedError) Is(target error) bool { return target == ErrClosed }
func (e *closedError) Unwrap() error        { return e.cause }
