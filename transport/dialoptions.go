package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// DefaultHandshakeTimeout bounds Dial's opening handshake when
// DialOptions.HandshakeTimeout is zero.
const DefaultHandshakeTimeout = 30 * time.Second

// DialOptions configures Dial. The zero value (or a nil pointer) is ready to
// use; every field documents its default. Dial does not modify the options
// or keep them after it returns.
type DialOptions struct {
	// Header holds extra request headers, e.g. Authorization, Origin or
	// Cookie. A "Host" entry replaces the Host line. Headers the handshake
	// owns (Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version,
	// Sec-WebSocket-Protocol, Sec-WebSocket-Extensions, Content-Length,
	// Transfer-Encoding) may not be set: Dial fails with ErrReservedHeader.
	// Header values never appear in errors. Default: none.
	Header http.Header

	// Subprotocols are offered in Sec-WebSocket-Protocol, most preferred
	// first; Conn.Subprotocol reports the server's choice. Default: none.
	Subprotocols []string

	// TLSConfig is used for wss URLs. Dial clones it, sets ServerName to the
	// URL's host when it is empty, and sets NextProtos to http/1.1 (the
	// handshake is HTTP/1.1). Certificates are verified unless the program
	// sets InsecureSkipVerify; a failed verification gives an error
	// matching *tls.CertificateVerificationError, which
	// client.DefaultShouldReconnect does not retry. Dial runs a new TLS
	// handshake every time, so a GetClientCertificate callback (see
	// ClientCertificateFiles) is asked again on every reconnect and a
	// rotated client certificate takes effect on the next one; a
	// ClientSessionCache would instead resume sessions under the identity
	// they were made with. Default: a zero tls.Config, which verifies
	// against the system roots.
	TLSConfig *tls.Config

	// NetDialContext opens the TCP connection, to the server or to the
	// proxy. Default: the DialContext method of a zero net.Dialer.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Proxy returns the proxy for a request (its URL has the http or https
	// scheme matching ws or wss), or nil for a direct connection. The
	// proxy URL's scheme says how Dial goes through it:
	//
	//	http://    CONNECT (RFC 9110 §9.3.6) over TCP
	//	https://   TLS to the proxy (ProxyTLSConfig), then CONNECT inside it
	//	socks5://  SOCKS5 (RFC 1928), the server's name resolved here
	//	socks5h:// SOCKS5, the server's name resolved by the proxy
	//
	// User info in the proxy URL is sent as Proxy-Authorization: Basic
	// (http, https) or as RFC 1929 username/password (SOCKS5); a proxy
	// that refuses it gives a *ProxyAuthError. For wss, TLS with the
	// server runs inside the tunnel, so the proxy sees only the host and
	// port. Default: ProxyFromEnvironment (HTTPS_PROXY or HTTP_PROXY, then
	// ALL_PROXY; NO_PROXY). To always connect directly, return nil, nil.
	Proxy func(*http.Request) (*url.URL, error)

	// ProxyTLSConfig is used for the TLS connection to an https:// proxy,
	// which has its own certificate and may need its own roots; TLSConfig
	// stays for the server. Dial clones it, sets ServerName to the
	// proxy's host when it is empty, and sets NextProtos to http/1.1.
	// Default: a zero tls.Config, which verifies against the system roots.
	ProxyTLSConfig *tls.Config

	// HandshakeTimeout bounds the whole of Dial: proxy, TCP, TLS and the
	// opening handshake. It applies together with Dial's context; the
	// earlier wins. Default (0): DefaultHandshakeTimeout. Negative: no
	// limit besides the context.
	HandshakeTimeout time.Duration

	// ReadBufferSize fixes the size of the connection's read buffer.
	// Default (0): it adapts. It starts at DefaultBufferSize, doubles
	// after each read that fills it, up to MaxReadBufferSize, and returns
	// to DefaultBufferSize after a run of reads that bring little. So a
	// busy stream is read in up to 64 KiB a system call while an idle
	// connection holds 4 KiB.
	ReadBufferSize int

	// WriteBufferSize is the size of the connection's write buffer. Default
	// (0): DefaultBufferSize.
	WriteBufferSize int

	// ReadLimit is the largest message, in bytes, a read accepts; a larger
	// one fails the connection with 1009. Default (0): DefaultReadLimit.
	ReadLimit int64

	// WriteTimeout is how long a write may go without the socket taking
	// any of its bytes: a write stuck that long fails the connection with
	// 1006, which is how a peer that stopped reading is noticed. It bounds
	// progress, not the whole write: a large message on a slow link takes
	// as long as it takes while bytes keep leaving, and fails only once
	// they stop (to keep the per-message path cheap, progress is measured
	// every 16 KiB the socket takes, so a link carrying less than 16 to
	// 32 KiB per WriteTimeout counts as stopped). It also bounds how long
	// a pong or close frame the Conn owes waits for a write in progress.
	// Default (0): no limit besides the write's context.
	WriteTimeout time.Duration

	// FragmentSize is the largest frame a data message is sent in: Write
	// sends a longer message as fragments of this size (RFC 6455 §5.4;
	// compressed, RSV1 is set on the first only), so that pings, pongs
	// and close frames, which may go out between fragments, do not wait
	// behind a whole large message on a slow link, and data frames of two
	// messages never mix. Writer's writes are split the same way.
	// Default (0): DefaultFragmentSize (32 KiB; see there why). Negative:
	// no fragmentation, every Write is one frame, for a peer that cannot
	// reassemble fragments (RFC 6455 requires every endpoint to).
	FragmentSize int

	// CloseTimeout bounds the close handshake. Default (0):
	// DefaultCloseTimeout.
	CloseTimeout time.Duration

	// OnPing is called with the payload of each ping the server sends. The
	// Conn answers pings itself; the hook only observes them. It runs on the
	// goroutine that read the ping (the application's, or the Conn's own
	// while no one reads: see Conn), so it must not block, read from the
	// Conn or call Close; payload is valid only during the call. Default:
	// none.
	OnPing func(payload []byte)

	// OnPong is called with the payload of each pong the server sends, on
	// the goroutine that read it, like OnPing; payload is valid only during
	// the call. Default: none.
	OnPong func(payload []byte)

	// NoIdleReads keeps the Conn from reading on its own while no read call
	// is in progress (see Conn): control frames are then handled only
	// inside the application's reads, as in gorilla/websocket, and a peer's
	// ping waits for the next read. Only a program that must look silent
	// to its peer (a test double of a stalled client) wants it. Default:
	// false.
	NoIdleReads bool

	// Compression offers permessage-deflate (RFC 7692) with these
	// parameters; Conn.Compression reports what the server accepted. See
	// CompressionOptions for why it is off by default. Default (nil): no
	// offer, and a server that selects an extension anyway is refused.
	Compression *CompressionOptions
}

// resolved returns a copy of o with every default filled in, so the dial
// code never looks at a zero value.
func (o *DialOptions) resolved() DialOptions {
	var r DialOptions
	if o != nil {
		r = *o
	}
	if r.NetDialContext == nil {
		r.NetDialContext = new(net.Dialer).DialContext
	}
	if r.Proxy == nil {
		r.Proxy = ProxyFromEnvironment
	}
	if r.HandshakeTimeout == 0 {
		r.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if r.ReadBufferSize < 0 {
		r.ReadBufferSize = 0
	}
	if r.WriteBufferSize <= 0 {
		r.WriteBufferSize = DefaultBufferSize
	}
	if r.ReadLimit <= 0 {
		r.ReadLimit = DefaultReadLimit
	}
	if r.CloseTimeout <= 0 {
		r.CloseTimeout = DefaultCloseTimeout
	}
	return r
}

// reservedRequestHeader reports whether the client handshake writes the
// header (in canonical form) itself. Letting the program set one would
// either break the handshake or, for the body framing headers, make the
// server wait for a body that never comes.
func reservedRequestHeader(key string) bool {
	switch key {
	case "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version",
		"Sec-Websocket-Protocol", "Sec-Websocket-Extensions",
		"Content-Length", "Transfer-Encoding":
		return true
	}
	return false
}

// check validates what the program supplied. The errors name the header
// but never its value, which may be a credential.
func (o *DialOptions) check() error {
	if err := checkHeader(o.Header, reservedRequestHeader); err != nil {
		return err
	}
	if err := o.Compression.check(); err != nil {
		return err
	}
	for i, p := range o.Subprotocols {
		if !isToken(p) {
			// Not %q: some servers take a bearer token as a subprotocol.
			return fmt.Errorf("%w: Subprotocols[%d] is not a token", ErrInvalidHeader, i)
		}
	}
	return nil
}

// checkHeader rejects reserved names and anything that would not survive
// being written as an HTTP header. Names are compared canonically, so a
// lower-case map key cannot slip past.
func checkHeader(h http.Header, reserved func(string) bool) error {
	for k, vs := range h {
		if !isToken(k) {
			return fmt.Errorf("%w: header name %q is not a token", ErrInvalidHeader, k)
		}
		ck := http.CanonicalHeaderKey(k)
		if reserved(ck) {
			return fmt.Errorf("%w: %s", ErrReservedHeader, ck)
		}
		for _, v := range vs {
			if !isFieldValue(v) {
				return fmt.Errorf("%w: value of %s holds a control character", ErrInvalidHeader, ck)
			}
		}
	}
	return nil
}
