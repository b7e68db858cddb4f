package client

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// DefaultShouldReconnect is the reconnect policy used when
// Options.ShouldReconnect is nil. Given why a connection or an attempt
// ended, it reports whether another attempt could succeed:
//
//	network failure, EOF or reset, heartbeat timeout, write stall (1006)  reconnect
//	close 1001, 1011, 1012, 1013, 1014                                      reconnect
//	close 1000, or a close frame with no code (1005)                       stop: the server ended the session on purpose
//	close 1002, 1003, 1007, 1008, 1009, 1010, 3000–4999                    stop: retrying the same thing cannot help
//	the server broke the protocol (we failed the connection)               stop
//	handshake 408, 429, 5xx                                                 reconnect (Retry-After honoured)
//	handshake 400, 401, 403, 404, other 4xx, 3xx, a bad 101               stop
//	OnConnect or Endpoint failed, DNS and dial errors                       reconnect
//	an invalid URL (transport.ErrInvalidURL)                               stop: dialling it again cannot help
//	a certificate that fails verification (*tls.CertificateVerificationError),
//	  the server's or an https proxy's                                      stop: the same certificate fails again
//	the proxy refused the credentials (*transport.ProxyAuthError)           stop: the same credentials are refused again
//	the proxy refused CONNECT (*transport.ProxyError): HTTP 408, 429, 5xx,
//	  SOCKS5 failure, unreachable, refused, TTL expired                     reconnect
//	  other HTTP status; SOCKS5 ruleset, command or address type refused   stop
//	Close, or Start's context cancelled                                     stop
//
// A 401 or 403 is retried once with a fresh Endpoint call before the
// session fails; that is the supervisor's doing, not this function's.
func DefaultShouldReconnect(cause error) bool {
	if errors.Is(cause, ErrClosed) || errors.Is(cause, context.Canceled) || errors.Is(cause, transport.ErrInvalidURL) {
		return false
	}
	var cve *tls.CertificateVerificationError
	var pae *transport.ProxyAuthError
	if errors.As(cause, &cve) || errors.As(cause, &pae) {
		return false
	}
	var he *transport.HandshakeError
	if errors.As(cause, &he) {
		return retryableStatus(he.StatusCode)
	}
	var xe *transport.ProxyError
	if errors.As(cause, &xe) {
		if xe.StatusCode != 0 {
			return retryableStatus(xe.StatusCode)
		}
		// 2: not allowed by ruleset, 7: command not supported, 8: address
		// type not supported (RFC 1928 §6) will be refused again.
		return xe.SOCKSReply != 2 && xe.SOCKSReply != 7 && xe.SOCKSReply != 8
	}
	var pe *transport.ProtocolError
	if errors.As(cause, &pe) {
		return false
	}
	var ce *transport.CloseError
	if errors.As(cause, &ce) {
		switch ce.Code {
		case transport.StatusAbnormalClosure, transport.StatusGoingAway, transport.StatusInternalError,
			transport.StatusServiceRestart, transport.StatusTryAgainLater, transport.StatusBadGateway:
			return true
		}
		return false
	}
	return true
}

// retryableStatus reports whether an HTTP status refusing a handshake or
// a CONNECT may be different next time.
func retryableStatus(s int) bool {
	return s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500
}

// isNormalClosure reports a close the server made on purpose, which
// Options.ReconnectOnNormalClosure turns into a reconnect.
func isNormalClosure(cause error) bool {
	var ce *transport.CloseError
	if !errors.As(cause, &ce) {
		return false
	}
	return ce.Code == transport.StatusNormalClosure || ce.Code == transport.StatusNoStatusReceived
}

// isAuthFailure reports a handshake refused with 401 or 403, which earns one
// immediate retry with fresh credentials.
func isAuthFailure(cause error) bool {
	var he *transport.HandshakeError
	return errors.As(cause, &he) && (he.StatusCode == http.StatusUnauthorized || he.StatusCode == http.StatusForbidden)
}

// retryAfter returns the delay a server asked for with Retry-After, or 0.
func retryAfter(cause error) (d time.Duration) {
	var he *transport.HandshakeError
	if errors.As(cause, &he) {
		return he.RetryAfter
	}
	return 0
}

// isTryAgainLater reports a 1013 close, which must not be retried before
// the backoff's next interval even after a long, healthy connection.
func isTryAgainLater(cause error) bool {
	return transport.CloseStatus(cause) == transport.StatusTryAgainLater
}
