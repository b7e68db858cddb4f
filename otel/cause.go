package otel

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
)

// The values of error.type. Each names a class of failure, never the
// error's text, so the attribute has a handful of values whatever the
// network does.
const (
	causeAbnormal    = "abnormal_closure"  // the connection ended without a close frame: EOF, reset
	causeHeartbeat   = "heartbeat_timeout" // no pong in time: the peer was declared dead
	causeTimeout     = "timeout"           // a write or the handshake ran out of time
	causeServerClose = "server_close"      // the server sent a close frame
	causeProtocol    = "protocol_error"    // the server broke RFC 6455; we failed the connection
	causeHandshake   = "handshake_status"  // the server answered the upgrade with another status
	causeOnConnect   = "on_connect"        // Options.OnConnect failed or overran its timeout
	causeNetwork     = "network"           // DNS, refused, unreachable
	causeTLS         = "tls"               // the TLS handshake failed: certificate, alert, peer not speaking TLS
	causePanic       = "panic"             // a callback panicked
	causeCanceled    = "canceled"          // Close, or Start's context
	causeOther       = "_OTHER"            // the semantic conventions' fallback
)

// cause classifies why a connection or an attempt ended, and gives its
// close code as a string ("" when none applies): a code of RFC 6455's
// range 1000–1015 as it is, others as "3xxx" or "4xxx", so the values
// stay few.
func cause(err error) (class, code string) {
	var (
		ce *transport.CloseError
		pe *transport.ProtocolError
		he *transport.HandshakeError
		oe *client.OnConnectError
		pa *client.PanicError
		de *heartbeat.DeadError
		ne net.Error
	)
	switch {
	case err == nil:
		return "", ""
	case errors.As(err, &pa):
		return causePanic, ""
	case errors.Is(err, client.ErrClosed), errors.Is(err, context.Canceled):
		return causeCanceled, ""
	case errors.As(err, &oe):
		return causeOnConnect, ""
	case errors.As(err, &he):
		return causeHandshake, ""
	case isTLS(err):
		return causeTLS, ""
	case errors.As(err, &pe):
		return causeProtocol, closeCode(pe.Code)
	case errors.As(err, &ce) && ce.Code != transport.StatusAbnormalClosure:
		return causeServerClose, closeCode(ce.Code)
	case errors.As(err, &de):
		return causeHeartbeat, closeCode(transport.StatusAbnormalClosure)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return causeTimeout, closeCode(transport.CloseStatus(err))
	case ce != nil:
		return causeAbnormal, closeCode(ce.Code)
	case errors.As(err, &ne):
		return causeNetwork, ""
	}
	return causeOther, ""
}

// closeCode renders a close code with bounded cardinality; "" for none.
func closeCode(c transport.StatusCode) string {
	switch {
	case c <= 0:
		return ""
	case c >= 1000 && c <= 1015:
		return strconv.Itoa(int(c))
	case c >= 3000 && c <= 3999:
		return "3xxx"
	case c >= 4000 && c <= 4999:
		return "4xxx"
	}
	return "other"
}

// failure returns the attributes of a failed attempt: error.type,
// sturdy.connect.phase and, for a refused handshake,
// http.response.status_code. nil when the attempt succeeded.
func failure(a client.ConnectAttempt) []attribute.KeyValue {
	if a.Err == nil {
		return nil
	}
	class, _ := cause(a.Err)
	if a.Failed == client.PhaseTLS && (class == causeOther || class == causeNetwork) {
		// The peer hung up or answered something else than TLS.
		class = causeTLS
	}
	kvs := []attribute.KeyValue{semconv.ErrorTypeKey.String(class), attrPhase.String(a.Failed.String())}
	var he *transport.HandshakeError
	if errors.As(a.Err, &he) {
		kvs = append(kvs, semconv.HTTPResponseStatusCode(he.StatusCode))
	}
	return kvs
}

// isTLS reports a failed TLS handshake.
func isTLS(err error) bool {
	var (
		alert tls.AlertError
		rec   tls.RecordHeaderError
		cert  *tls.CertificateVerificationError
		ech   *tls.ECHRejectionError
	)
	return errors.As(err, &alert) || errors.As(err, &rec) || errors.As(err, &cert) || errors.As(err, &ech)
}
