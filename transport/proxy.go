package transport

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
)

// proxyFor asks the Proxy option which proxy to use for u, if any. The
// function sees an http or https URL (for ws and wss), which is what
// http.ProxyFromEnvironment keys HTTP_PROXY and HTTPS_PROXY on.
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
	if p.Scheme != "http" {
		// Not quoted, for the same reason as in parseURL.
		return nil, fmt.Errorf("%w: only http:// proxies are supported", ErrInvalidURL)
	}
	if p.Hostname() == "" {
		return nil, fmt.Errorf("%w: proxy URL has no host", ErrInvalidURL)
	}
	return p, nil
}

// proxyConnect opens a tunnel to addr through the HTTP proxy at the other
// end of nc (RFC 9110 §9.3.6). Nothing may follow the proxy's 2xx before
// the client speaks, so bytes buffered after it mean a broken proxy.
func proxyConnect(ctx context.Context, nc net.Conn, proxy *url.URL, addr string) error {
	b := make([]byte, 0, 256)
	b = append(b, "CONNECT "...)
	b = append(b, addr...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, addr...)
	b = append(b, "\r\n"...)
	if proxy.User != nil {
		pass, _ := proxy.User.Password()
		cred := base64.StdEncoding.EncodeToString([]byte(proxy.User.Username() + ":" + pass))
		b = appendField(b, "Proxy-Authorization", "Basic "+cred)
	}
	b = append(b, "\r\n"...)
	where := "proxy " + proxy.Host
	if _, err := nc.Write(b); err != nil {
		return ioError(ctx, where, err)
	}
	br := bufio.NewReaderSize(nc, 1024)
	head, err := readResponseHead(br, headLimits{bytes: maxResponseHeadBytes, fields: maxResponseFields})
	if err != nil {
		return ioError(ctx, where, err)
	}
	if head.status/100 != 2 {
		return &ProxyError{StatusCode: head.status}
	}
	if br.Buffered() > 0 {
		return fmt.Errorf("%s: %w: data after the CONNECT response", where, ErrMalformedResponse)
	}
	return nil
}

// withheldError stands for an error whose text may hold a secret: it
// prints its own message only, but still unwraps to the original.
type withheldError struct {
	msg string
	err error
}

func (e *withheldError) Error() string { return e.msg }
func (e *withheldError) Unwrap() error { return e.err }
