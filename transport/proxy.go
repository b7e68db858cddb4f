package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
)

// proxyFor asks the Proxy option which proxy to use for u, if any. The
// function sees an http or https URL (for ws and wss), which is what
// ProxyFromEnvironment keys HTTP_PROXY and HTTPS_PROXY on.
func proxyFor(u *url.URL, proxy func(*http.Request) (*url.URL, error)) (*url.URL, error) {
	ru := *u
	ru.User = nil
	ru.Scheme = "http"
	if u.Scheme == "wss" {
		ru.Scheme = "https"
	}
	req := &http.Request{Method: http.MethodGet, URL: &ru, Header: make(http.Header), Host: u.Host}
	p, err := proxy(req)
	if err != nil {
		// The error may quote a proxy URL from the environment, user info
		// and all, so its text is withheld; errors.Unwrap still reaches it.
		return nil, &withheldError{msg: "transport: choosing a proxy failed", err: err}
	}
	if p == nil {
		return nil, nil
	}
	switch p.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		// Not quoted, for the same reason as in parseURL.
		return nil, fmt.Errorf("%w: proxy scheme must be http, https, socks5 or socks5h", ErrInvalidURL)
	}
	if p.Hostname() == "" {
		return nil, fmt.Errorf("%w: proxy URL has no host", ErrInvalidURL)
	}
	if portOf(p) == 0 {
		return nil, fmt.Errorf("%w: proxy port must be 1 to 65535", ErrInvalidURL)
	}
	return p, nil
}

// proxyTunnel turns nc, a TCP connection to the proxy, into a tunnel to
// the server at u, and returns the connection to go on with: nc itself,
// or for an https:// proxy the TLS connection to the proxy. Everything it
// does is I/O on nc, so the context's deadline (watchContext) bounds it.
func proxyTunnel(ctx context.Context, nc net.Conn, proxy, u *url.URL, o *DialOptions) (net.Conn, error) {
	switch proxy.Scheme {
	case "socks5", "socks5h":
		host := u.Hostname()
		if proxy.Scheme == "socks5" {
			// socks5:// resolves here, socks5h:// lets the proxy do it.
			ip, err := resolveForSOCKS(ctx, host)
			if err != nil {
				return nil, err
			}
			host = ip
		}
		return nc, socksConnect(ctx, nc, proxy.User, host, portOf(u))
	case "https":
		// The proxy's own settings, derived as the server's are: the
		// proxy's host as ServerName, HTTP/1.1 for the CONNECT.
		tc := tls.Client(nc, clientTLSConfig(o.ProxyTLSConfig, proxy.Hostname()))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, ioError(ctx, "proxy TLS handshake", err)
		}
		nc = tc
	}
	return nc, proxyConnect(ctx, nc, proxy, hostPort(u))
}

// resolveForSOCKS looks host up for a socks5:// proxy, which is given an
// address rather than a name. The first address is used, as curl does.
func resolveForSOCKS(ctx context.Context, host string) (string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return host, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return "", ioError(ctx, "resolving the host for a socks5 proxy", err)
	}
	return ips[0].Unmap().String(), nil
}

// withheldError stands for an error whose text may hold a secret: it
// prints its own message only, but still unwraps to the original.
type withheldError struct {
	msg string
	err error
}

func (e *withheldError) Error() string { return e.msg }
func (e *withheldError) Unwrap() error { return e.err }
