package transport

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// acceptWriteTimeout bounds the write of the 101 response, so a client that
// stops reading cannot hold the handler forever.
const acceptWriteTimeout = 10 * time.Second

// AcceptOptions configures Accept. The zero value (or a nil pointer) is
// ready to use; every field documents its default.
type AcceptOptions struct {
	// Subprotocols the server supports, most preferred first. Accept picks
	// the first of them that the client offered; if none matches, the
	// connection has no subprotocol (RFC 6455 leaves it to the
	// application whether to go on). Default: none.
	Subprotocols []string

	// OriginPatterns lists the hosts, besides the request's own Host, that
	// browsers may connect from. A pattern is matched with path.Match,
	// ignoring case, against the Origin's host (with port, if it has one),
	// or against "scheme://host" when the pattern contains "://".
	// Default: none, so only same-host origins are accepted. Requests
	// without an Origin header (non-browser clients) are always accepted.
	OriginPatterns []string

	// InsecureSkipOriginCheck accepts any Origin. Without an origin check,
	// any web page a user visits can open a connection with the user's
	// cookies (cross-site WebSocket hijacking). Default: false.
	InsecureSkipOriginCheck bool

	// ReadLimit is the largest message, in bytes, a read accepts. Default
	// (0): DefaultReadLimit.
	ReadLimit int64

	// ReadBufferSize fixes the size of the read buffer. Default (0): it
	// adapts, as DialOptions.ReadBufferSize describes.
	ReadBufferSize int

	// WriteBufferSize is the size of the write buffer. Default (0):
	// DefaultBufferSize.
	WriteBufferSize int

	// WriteTimeout is how long a write may go without the socket taking
	// any of its bytes before it fails the connection, as
	// DialOptions.WriteTimeout describes. Default (0): no limit besides the
	// write's context.
	WriteTimeout time.Duration

	// FragmentSize is the largest frame a data message is sent in, as
	// DialOptions.FragmentSize describes. Default (0):
	// DefaultFragmentSize. Negative: no fragmentation.
	FragmentSize int

	// CloseTimeout bounds the close handshake. Default (0):
	// DefaultCloseTimeout.
	CloseTimeout time.Duration

	// OnPing is called with each ping's payload on the goroutine that read
	// it (the application's, or the Conn's own while no one reads: see
	// Conn); it must not block, read or call Close, and payload is valid
	// only during the call. The Conn answers pings itself. Default: none.
	OnPing func(payload []byte)

	// OnPong is called with each pong's payload on the goroutine that read
	// it, like OnPing; payload is valid only during the call. Default: none.
	OnPong func(payload []byte)

	// NoIdleReads keeps the Conn from reading on its own while no read call
	// is in progress (see Conn), as DialOptions.NoIdleReads does. A test
	// server that simulates a stalled peer (wstest's Stall) needs it, or
	// the Conn would answer the client's pings for it. Default: false.
	NoIdleReads bool

	// Compression accepts permessage-deflate (RFC 7692): Accept answers
	// the first offer it can, with the parameters the client asked for
	// combined with these (the stricter of the two wins), and declines
	// offers that are malformed. See CompressionOptions for why it is off
	// by default. Default (nil): offers are declined.
	Compression *CompressionOptions

	// ResponseHeader holds extra headers for the 101 response, e.g.
	// Set-Cookie. It may not set Upgrade, Connection or Sec-WebSocket-*
	// (ErrReservedHeader). Headers set on the ResponseWriter are not sent
	// with the 101; they go out only with an error response. Default: none.
	ResponseHeader http.Header
}

// Accept completes the server side of the opening handshake (RFC 6455
// §4.2) for r and returns the Conn; opts may be nil. It checks that r is a
// GET over HTTP/1.1 with Upgrade: websocket, a Connection header holding
// "upgrade", Sec-WebSocket-Version 13, a key of 16 bytes in base64 and an
// allowed Origin, then hijacks the connection and writes the 101.
//
// When the request fails a check, Accept writes the error response and
// returns an *AcceptError with its status: 405 for a method other than GET,
// 505 for an HTTP version other than 1.1 or later 1.x, 426 (with
// Upgrade: websocket) for missing Upgrade or Connection tokens, 426 with
// Sec-WebSocket-Version: 13 for another version, 400 for a bad key and 403
// for a rejected Origin. A ResponseWriter that cannot be hijacked gets a
// 500. After Accept returns, successfully or not, the handler must not use
// w again.
//
// A ResponseHeader that sets a reserved or malformed header is a bug in
// the server: Accept answers 500 and returns ErrReservedHeader or
// ErrInvalidHeader, and invalid Compression options a 500 with
// ErrInvalidCompression. Extensions other than permessage-deflate are
// declined. Accept is safe for concurrent use.
func Accept(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Conn, error) {
	var o AcceptOptions
	if opts != nil {
		o = *opts
	}
	if err := checkHeader(o.ResponseHeader, reservedResponseHeader); err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return nil, err
	}
	if err := o.Compression.check(); err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return nil, err
	}
	if err := checkRequest(r, &o); err != nil {
		reject(w, err)
		return nil, err
	}
	key := r.Header.Get("Sec-Websocket-Key")
	sub := selectSubprotocol(r, o.Subprotocols)
	extResp, params := serverNegotiate(r.Header.Values("Sec-Websocket-Extensions"), o.Compression)
	var dc *deflateConfig
	if params != nil {
		dc = newDeflateConfig(*params, o.Compression)
	}

	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		ae := &AcceptError{
			StatusCode: http.StatusInternalServerError,
			Msg:        "cannot hijack the connection: " + err.Error(),
		}
		reject(w, ae)
		return nil, ae
	}
	// The server may have left its read or write deadlines on the
	// connection; from here on they are the Conn's to manage.
	_ = nc.SetDeadline(time.Time{})
	_ = nc.SetWriteDeadline(time.Now().Add(acceptWriteTimeout))
	if _, err := nc.Write(appendUpgradeResponse(nil, key, sub, extResp, o.ResponseHeader)); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("transport: writing 101 response: %w", err)
	}
	_ = nc.SetWriteDeadline(time.Time{})

	return newConn(connConfig{
		nc:              nc,
		pending:         readAhead(brw.Reader),
		readBufferSize:  o.ReadBufferSize,
		client:          false,
		subprotocol:     sub,
		readLimit:       o.ReadLimit,
		writeBufferSize: o.WriteBufferSize,
		fragmentSize:    o.FragmentSize,
		writeTimeout:    o.WriteTimeout,
		closeTimeout:    o.CloseTimeout,
		onPing:          o.OnPing,
		onPong:          o.OnPong,
		noIdleReads:     o.NoIdleReads,
		deflate:         dc,
	}), nil
}

// reservedResponseHeader reports whether the 101 response writes the header
// (in canonical form) itself.
func reservedResponseHeader(key string) bool {
	switch key {
	case "Upgrade", "Connection", "Sec-Websocket-Accept", "Sec-Websocket-Protocol",
		"Sec-Websocket-Extensions", "Sec-Websocket-Version", "Content-Length",
		"Transfer-Encoding":
		return true
	}
	return false
}

// checkRequest applies RFC 6455 §4.2.1 to r; the error says which status to
// answer with.
func checkRequest(r *http.Request, o *AcceptOptions) *AcceptError {
	fail := func(status int, msg string) *AcceptError { return &AcceptError{StatusCode: status, Msg: msg} }
	switch {
	case r.Method != http.MethodGet:
		return fail(http.StatusMethodNotAllowed, "WebSocket handshake must be a GET")
	case r.ProtoMajor != 1 || r.ProtoMinor < 1:
		return fail(http.StatusHTTPVersionNotSupported, "WebSocket handshake needs HTTP/1.1")
	case !hasToken(r.Header.Values("Connection"), "upgrade"):
		return fail(http.StatusUpgradeRequired, `Connection header must hold "upgrade"`)
	case !hasToken(r.Header.Values("Upgrade"), "websocket"):
		return fail(http.StatusUpgradeRequired, `Upgrade header must hold "websocket"`)
	}
	if v := r.Header.Values("Sec-Websocket-Version"); len(v) != 1 || strings.TrimSpace(v[0]) != "13" {
		return fail(http.StatusUpgradeRequired, "Sec-WebSocket-Version must be 13")
	}
	if k := r.Header.Values("Sec-Websocket-Key"); len(k) != 1 || !validKey(k[0]) {
		return fail(http.StatusBadRequest, "Sec-WebSocket-Key must be 16 bytes in base64")
	}
	if !o.InsecureSkipOriginCheck {
		ok, err := originAllowed(r, o.OriginPatterns)
		if err != nil {
			return fail(http.StatusInternalServerError, err.Error())
		}
		if !ok {
			return fail(http.StatusForbidden, "Origin not allowed")
		}
	}
	return nil
}

// reject writes the error response for a refused handshake. A 426 names
// what the client must upgrade to (RFC 9110 §15.5.22, RFC 6455 §4.4). The
// body explains a client's mistake; the server's own (a 500) stay private.
func reject(w http.ResponseWriter, err *AcceptError) {
	if err.StatusCode == http.StatusUpgradeRequired {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Sec-WebSocket-Version", "13")
	}
	if err.StatusCode == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodGet)
	}
	msg := err.Msg
	if err.StatusCode >= 500 {
		msg = http.StatusText(err.StatusCode)
	}
	http.Error(w, msg, err.StatusCode)
}

// originAllowed implements the origin check: browsers always send Origin,
// so it is what stops a page on another site from using the user's cookies
// on this server.
func originAllowed(r *http.Request, patterns []string) (bool, error) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true, nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false, nil
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true, nil
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		ok, err := path.Match(strings.ToLower(p), strings.ToLower(target))
		if err != nil {
			return false, fmt.Errorf("bad origin pattern %q: %w", p, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// selectSubprotocol returns the first of the server's subprotocols that the
// client offered, so the server's preference wins.
func selectSubprotocol(r *http.Request, supported []string) string {
	var offered []string
	for _, v := range r.Header.Values("Sec-Websocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			offered = append(offered, strings.TrimSpace(p))
		}
	}
	for _, s := range supported {
		for _, c := range offered {
			if s == c {
				return s
			}
		}
	}
	return ""
}

// appendUpgradeResponse appends the 101 response of RFC 6455 §4.2.2.
func appendUpgradeResponse(b []byte, key, subprotocol, extensions string, extra http.Header) []byte {
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"...)
	b = appendField(b, "Sec-WebSocket-Accept", acceptKey(key))
	if subprotocol != "" {
		b = appendField(b, "Sec-WebSocket-Protocol", subprotocol)
	}
	if extensions != "" {
		b = appendField(b, "Sec-WebSocket-Extensions", extensions)
	}
	for k, vs := range extra {
		for _, v := range vs {
			b = appendField(b, http.CanonicalHeaderKey(k), v)
		}
	}
	return append(b, "\r\n"...)
}
