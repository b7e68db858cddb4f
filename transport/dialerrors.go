package transport

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by Dial and Accept before any byte reaches the network,
// or when the peer's handshake cannot be parsed. Dial wraps them with the
// redacted URL; match them with errors.Is.
var (
	// ErrInvalidURL means the URL could not be parsed, has a scheme other
	// than ws, wss, http or https, has no host, or has a fragment
	// (RFC 6455 §3 forbids one), or a port outside 1–65535; or that
	// DialOptions.Proxy returned a URL whose scheme is not http, https,
	// socks5 or socks5h, that has no host or a bad port, or SOCKS5
	// credentials longer than RFC 1929 allows (255 bytes each; the user
	// name may not be empty), or a host name over 255 bytes for SOCKS5.
	ErrInvalidURL = errors.New("transport: invalid WebSocket URL")
	// ErrReservedHeader means DialOptions.Header or
	// AcceptOptions.ResponseHeader tried to set a header that the opening
	// handshake owns (Upgrade, Connection, Sec-WebSocket-*, and on the
	// client the body framing headers).
	ErrReservedHeader = errors.New("transport: header is set by the handshake and may not be overridden")
	// ErrInvalidHeader means a header name is not an HTTP token, a header
	// value holds a control character (which could split the request), or a
	// subprotocol name is not a token.
	ErrInvalidHeader = errors.New("transport: invalid header name or value")
	// ErrMalformedResponse means the server's (or an HTTP proxy's) answer
	// to the handshake is not a well-formed HTTP/1.x response head, or a
	// SOCKS5 proxy's answer breaks RFC 1928 or RFC 1929.
	ErrMalformedResponse = errors.New("transport: malformed handshake response")
	// ErrResponseTooLarge means the response's status line and header are
	// over 16 KiB, or it has more than 128 header fields.
	ErrResponseTooLarge = errors.New("transport: handshake response header too large")
)

// AcceptError is returned by Accept when it rejects a handshake request.
// Accept has already written the HTTP response with StatusCode.
type AcceptError struct {
	StatusCode int
	// Msg says what was wrong with the request; it is also the response
	// body.
	Msg string
}

func (e *AcceptError) Error() string {
	return fmt.Sprintf("transport: rejected handshake with HTTP %d: %s", e.StatusCode, e.Msg)
}

// dialError puts the redacted URL in front of a Dial failure. Only the
// redacted form is kept, so the query and user info cannot leak through it.
type dialError struct {
	url string
	err error
}

func (e *dialError) Error() string {
	// The inner errors of this package carry the same prefix; one is enough.
	return "transport: dial " + e.url + ": " + strings.TrimPrefix(e.err.Error(), "transport: ")
}

func (e *dialError) Unwrap() error { return e.err }
