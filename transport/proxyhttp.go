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
	switch {
	case head.status == http.StatusProxyAuthRequired:
		return &ProxyAuthError{StatusCode: head.status}
	case head.status/100 != 2:
		return &ProxyError{StatusCode: head.status}
	}
	if br.Buffered() > 0 {
		return fmt.Errorf("%s: %w: data after the CONNECT response", where, ErrMalformedResponse)
	}
	return nil
}
