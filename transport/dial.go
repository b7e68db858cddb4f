package transport

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Dial opens a client WebSocket connection to rawURL (ws:// or wss://;
// http:// and https:// are taken as ws:// and wss://) and performs the
// opening handshake of RFC 6455 §4.1. opts may be nil.
//
// The handshake is bounded by ctx and by opts.HandshakeTimeout together.
// Cancelling ctx after Dial has returned does not affect the connection.
//
// On success it returns the Conn and the server's 101 response, whose Body
// is empty and whose Header is complete (Set-Cookie included).
//
// When the server answers with another status, or with a 101 that
// RFC 6455 tells the client to reject, the error is a *HandshakeError and
// the response is returned too, its Body holding at most the first 1 KiB
// of the server's body. HandshakeError.Header leaves out Set-Cookie and any
// credential header, since errors end up in logs. A 101 that selects a
// subprotocol that was not offered is rejected, and so is one whose
// Sec-WebSocket-Extensions is anything but a valid answer to the
// permessage-deflate offer that opts.Compression makes (the error then
// also matches ErrExtension); without Compression, any extension is.
//
// The response's status line and header may take at most 16 KiB and 128
// fields (ErrResponseTooLarge). A Retry-After header, in seconds or as an
// HTTP date, sets HandshakeError.RetryAfter, capped at 24 hours.
//
// Errors name the URL without its user info and query, and never include
// header values, so they are safe to log. Dial is safe for concurrent use.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, *http.Response, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	o := opts.resolved()
	if err := o.check(); err != nil {
		return nil, nil, &dialError{url: redactURL(u), err: err}
	}
	c, resp, err := dial(ctx, u, &o)
	if err != nil {
		return nil, resp, &dialError{url: redactURL(u), err: err}
	}
	return c, resp, nil
}

// parseURL parses and checks a WebSocket URL, mapping http(s) to ws(s).
// Its errors never quote the URL, which may hold credentials.
func parseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the whole URL and EscapeError a piece of it, so
		// only the kind of mistake is passed on.
		var ee url.EscapeError
		var he url.InvalidHostError
		switch {
		case errors.As(err, &ee):
			return nil, fmt.Errorf("%w: bad percent-escape", ErrInvalidURL)
		case errors.As(err, &he):
			return nil, fmt.Errorf("%w: invalid character in host", ErrInvalidURL)
		}
		return nil, fmt.Errorf("%w: cannot parse", ErrInvalidURL)
	}
	switch u.Scheme {
	case "ws", "http":
		u.Scheme = "ws"
	case "wss", "https":
		u.Scheme = "wss"
	default:
		// Not quoted: in "user:pass@host" the "scheme" is a user name.
		return nil, fmt.Errorf("%w: scheme must be ws, wss, http or https", ErrInvalidURL)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: no host", ErrInvalidURL)
	}
	if portOf(u) == 0 {
		return nil, fmt.Errorf("%w: port must be 1 to 65535", ErrInvalidURL)
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return nil, fmt.Errorf("%w: fragment not allowed (RFC 6455 §3)", ErrInvalidURL)
	}
	return u, nil
}

// hostPort returns u's host with the port made explicit, for dialing and
// for CONNECT.
func hostPort(u *url.URL) string {
	return net.JoinHostPort(u.Hostname(), strconv.Itoa(int(portOf(u))))
}

// portOf returns u's port, or its scheme's default: 443 for wss and
// https, 1080 for SOCKS5 (RFC 1928 §3), 80 otherwise. A port that is not
// a number below 65536 gives 0, which no dial reaches.
func portOf(u *url.URL) uint16 {
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return 0
		}
		return uint16(n)
	}
	switch u.Scheme {
	case "wss", "https":
		return 443
	case "socks5", "socks5h":
		return 1080
	}
	return 80
}

// handshakeTimeout is the cause of a handshake that ran out of
// HandshakeTimeout. It matches context.DeadlineExceeded, like any deadline.
type handshakeTimeout struct{ d time.Duration }

func (e *handshakeTimeout) Error() string {
	return "transport: opening handshake timed out after " + e.d.String()
}
func (e *handshakeTimeout) Unwrap() error { return context.DeadlineExceeded }
func (e *handshakeTimeout) Timeout() bool { return true }

// dial does Dial's work once the URL and options are known good.
func dial(ctx context.Context, u *url.URL, o *DialOptions) (*Conn, *http.Response, error) {
	if o.HandshakeTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.HandshakeTimeout, &handshakeTimeout{o.HandshakeTimeout})
		defer cancel()
	}
	proxy, err := proxyFor(u, o.Proxy)
	if err != nil {
		return nil, nil, err
	}
	dialAddr := hostPort(u)
	if proxy != nil {
		dialAddr = hostPort(proxy)
	}
	raw, err := o.NetDialContext(ctx, "tcp", dialAddr)
	if err != nil {
		return nil, nil, ioError(ctx, "", err)
	}
	unwatch := watchContext(ctx, raw)
	up, err := handshake(ctx, raw, u, o, proxy)
	cerr := unwatch()
	if err == nil && cerr != nil {
		// The context ended just as the handshake finished: the deadline it
		// left behind makes the connection unusable.
		err = fmt.Errorf("opening handshake: %w", cerr)
	}
	if err != nil {
		_ = raw.Close()
		return nil, up.resp, err
	}
	c := newConn(connConfig{
		nc:              up.nc,
		pending:         up.pending,
		readBufferSize:  o.ReadBufferSize,
		client:          true,
		subprotocol:     up.subprotocol,
		readLimit:       o.ReadLimit,
		writeBufferSize: o.WriteBufferSize,
		fragmentSize:    o.FragmentSize,
		writeTimeout:    o.WriteTimeout,
		closeTimeout:    o.CloseTimeout,
		onPing:          o.OnPing,
		onPong:          o.OnPong,
		noIdleReads:     o.NoIdleReads,
		deflate:         up.deflate,
	})
	return c, up.resp, nil
}

// upgraded is the outcome of the client handshake.
type upgraded struct {
	nc          net.Conn // raw, or TLS over raw
	pending     []byte   // read past the 101 response
	subprotocol string
	deflate     *deflateConfig
	resp        *http.Response
}

// handshake runs, over the dialed connection, everything up to the 101:
// the proxy's tunnel, TLS, and the upgrade request and response.
func handshake(ctx context.Context, nc net.Conn, u *url.URL, o *DialOptions, proxy *url.URL) (upgraded, error) {
	var up upgraded
	if proxy != nil {
		var err error
		if nc, err = proxyTunnel(ctx, nc, proxy, u, o); err != nil {
			return up, err
		}
	}
	if u.Scheme == "wss" {
		tc := tls.Client(nc, clientTLSConfig(o.TLSConfig, u.Hostname()))
		if err := tc.HandshakeContext(ctx); err != nil {
			return up, ioError(ctx, "TLS handshake", err)
		}
		nc = tc
	}
	key := newKey()
	if _, err := nc.Write(appendRequest(make([]byte, 0, 512), u, key, o)); err != nil {
		return up, ioError(ctx, "writing handshake request", err)
	}
	br := bufio.NewReaderSize(nc, cmp.Or(o.ReadBufferSize, DefaultBufferSize))
	head, err := readResponseHead(br, headLimits{bytes: maxResponseHeadBytes, fields: maxResponseFields})
	if err != nil {
		return up, ioError(ctx, "", err)
	}
	if head.status != http.StatusSwitchingProtocols {
		body := readErrorBody(ctx, nc, br, head)
		up.resp = head.response(body)
		return up, &HandshakeError{
			StatusCode: head.status,
			Header:     errorHeader(head.header),
			Body:       body,
			RetryAfter: parseRetryAfter(head.header.Get("Retry-After"), time.Now()),
		}
	}
	up.resp = head.response(nil)
	sub, problem := checkUpgrade(head, key, o.Subprotocols)
	if problem != "" {
		return up, upgradeError(head, problem)
	}
	params, problem := clientNegotiate(head.header.Values("Sec-Websocket-Extensions"), o.Compression)
	if problem != "" {
		return up, extensionError(head, problem)
	}
	if params != nil {
		up.deflate = newDeflateConfig(*params, o.Compression)
	}
	up.nc, up.pending, up.subprotocol = nc, readAhead(br), sub
	return up, nil
}

// clientTLSConfig derives the TLS configuration for one dial.
func clientTLSConfig(base *tls.Config, host string) *tls.Config {
	cfg := &tls.Config{}
	if base != nil {
		cfg = base.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	// The upgrade is an HTTP/1.1 request: a server that negotiated h2 via
	// ALPN would not understand it.
	cfg.NextProtos = []string{"http/1.1"}
	return cfg
}

// watchContext makes blocking calls on nc return once ctx is done, by
// moving nc's deadline into the past. The deadline is the only thing ctx
// touches, so I/O fails only after ctx is done and ioError can tell a
// cancelled handshake from a broken one. unwatch stops the watch and
// returns the context's cause if it fired, after the deadline is set.
func watchContext(ctx context.Context, nc net.Conn) (unwatch func() error) {
	if ctx.Done() == nil {
		return func() error { return nil }
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = nc.SetDeadline(aLongTimeAgo)
		close(fired)
	})
	return func() error {
		if stop() {
			return nil
		}
		<-fired
		return context.Cause(ctx)
	}
}

// ioError reports a failed network call during the handshake. When the
// context has ended, that is why the call failed (watchContext cut it
// short), and its cause — context.Canceled, or DeadlineExceeded from ctx or
// HandshakeTimeout — is the error worth reporting.
func ioError(ctx context.Context, what string, err error) error {
	if cause := context.Cause(ctx); cause != nil {
		err = cause
	}
	if what == "" {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
