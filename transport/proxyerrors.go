package transport

import (
	"fmt"
	"net/http"
	"strconv"
)

// ProxyError is returned by Dial when the proxy refuses to open the
// tunnel for a reason other than credentials (those give a
// *ProxyAuthError): an HTTP or HTTPS proxy answering CONNECT with a status
// other than 2xx, or a SOCKS5 proxy with a reply other than success.
type ProxyError struct {
	// StatusCode is an HTTP or HTTPS proxy's answer to CONNECT, e.g. 403
	// or 503; 0 for a SOCKS5 proxy.
	StatusCode int
	// SOCKSReply is a SOCKS5 proxy's reply code (RFC 1928 §6), e.g. 5
	// when the target refused the connection; 0 for an HTTP proxy.
	SOCKSReply int
}

func (e *ProxyError) Error() string {
	if e.StatusCode == 0 && e.SOCKSReply != 0 {
		return "transport: SOCKS5 proxy refused CONNECT: " + socksReplyText(e.SOCKSReply) +
			" (reply " + strconv.Itoa(e.SOCKSReply) + ")"
	}
	s := fmt.Sprintf("transport: proxy refused CONNECT with HTTP %d", e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		s += " " + t
	}
	return s
}

// socksReplyText names the reply codes of RFC 1928 §6.
func socksReplyText(rep int) string {
	switch rep {
	case 1:
		return "general SOCKS server failure"
	case 2:
		return "connection not allowed by ruleset"
	case 3:
		return "network unreachable"
	case 4:
		return "host unreachable"
	case 5:
		return "connection refused"
	case 6:
		return "TTL expired"
	case 7:
		return "command not supported"
	case 8:
		return "address type not supported"
	}
	return "unassigned reply code"
}

// ProxyAuthError is returned by Dial when the proxy does not accept the
// credentials in the proxy URL's user info, or wants credentials and the
// URL has none: an HTTP or HTTPS proxy's 407, a SOCKS5 proxy's refusal of
// the username and password (RFC 1929), or a SOCKS5 proxy that accepts
// none of the methods offered. The same credentials will be refused
// again, so client.DefaultShouldReconnect does not retry. Its text names
// neither the user nor the password.
type ProxyAuthError struct {
	// StatusCode is 407 from an HTTP or HTTPS proxy; 0 from a SOCKS5
	// proxy.
	StatusCode int
	// NoAcceptableMethod is set when a SOCKS5 proxy accepted none of the
	// authentication methods offered (RFC 1928 §3, method X'FF'): no
	// credentials were given and the proxy requires them, or it requires
	// a method other than username/password.
	NoAcceptableMethod bool
}

func (e *ProxyAuthError) Error() string {
	switch {
	case e.StatusCode != 0:
		return fmt.Sprintf("transport: proxy refused the credentials with HTTP %d %s",
			e.StatusCode, http.StatusText(e.StatusCode))
	case e.NoAcceptableMethod:
		return "transport: SOCKS5 proxy accepts none of the authentication methods offered"
	}
	return "transport: SOCKS5 proxy refused the username and password"
}
