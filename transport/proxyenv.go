package transport

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// ProxyFromEnvironment is DialOptions.Proxy's default. It chooses the
// proxy for req from the environment, read afresh on every call:
// HTTPS_PROXY for wss (seen as https) and HTTP_PROXY for ws (seen as
// http), falling back to ALL_PROXY for either, as curl does; each name
// also in lower case, the upper-case one first. A value without a scheme
// is taken as http://. http, https, socks5 and socks5h proxies are
// supported (see DialOptions.Proxy).
//
// NO_PROXY (or no_proxy) lists hosts reached directly, separated by
// commas: "*" for all; an IP address or a CIDR prefix (10.0.0.0/8); a
// domain name, which matches itself and its subdomains, or with a leading
// "." (or "*.") its subdomains only; a host or an IP address may be
// followed by ":port". As in net/http's ProxyFromEnvironment, localhost
// and loopback addresses are never proxied, and HTTP_PROXY is ignored
// when REQUEST_METHOD is set (a CGI program, whose HTTP_PROXY a client
// could set with a "Proxy:" header).
//
// It differs from http.ProxyFromEnvironment in reading ALL_PROXY and in
// reading the environment on every call rather than once per process.
// A value that is not a URL gives an error matching ErrInvalidURL that
// does not quote it.
func ProxyFromEnvironment(req *http.Request) (*url.URL, error) {
	return envProxy(req.URL, os.Getenv)
}

// envProxy is ProxyFromEnvironment with the environment passed in.
func envProxy(u *url.URL, getenv func(string) string) (*url.URL, error) {
	get := func(name string) (string, string) {
		if v := getenv(name); v != "" {
			return v, name
		}
		lower := strings.ToLower(name)
		return getenv(lower), lower
	}
	var value, name string
	switch u.Scheme {
	case "https", "wss":
		value, name = get("HTTPS_PROXY")
	case "http", "ws":
		if getenv("REQUEST_METHOD") == "" {
			value, name = get("HTTP_PROXY")
		}
	}
	if value == "" {
		value, name = get("ALL_PROXY")
	}
	if value == "" {
		return nil, nil
	}
	noProxy, _ := get("NO_PROXY")
	if !useProxy(u, noProxy) {
		return nil, nil
	}
	p, err := url.Parse(value)
	if err != nil || p.Scheme == "" || p.Host == "" {
		// "proxy:3128" parses as scheme "proxy"; net/http tries again with
		// http:// in front, and so does this.
		if p2, err2 := url.Parse("http://" + value); err2 == nil && p2.Host != "" {
			return p2, nil
		}
		return nil, fmt.Errorf("%w: %s does not hold a proxy URL", ErrInvalidURL, name)
	}
	return p, nil
}

// useProxy reports whether u's host is to be proxied under noProxy.
func useProxy(u *url.URL, noProxy string) bool {
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" {
		return false
	}
	ip, ipErr := netip.ParseAddr(host)
	if ipErr == nil {
		ip = ip.Unmap()
		if ip.IsLoopback() {
			return false
		}
	}
	port := strconv.Itoa(int(portOf(u)))
	for entry := range strings.SplitSeq(noProxy, ",") {
		entry = strings.ToLower(strings.TrimSpace(entry))
		if entry == "" {
			continue
		}
		if entry == "*" {
			return false
		}
		if prefix, err := netip.ParsePrefix(entry); err == nil {
			if ipErr == nil && prefix.Contains(ip) {
				return false
			}
			continue
		}
		ehost, eport := entry, ""
		if h, p, err := net.SplitHostPort(entry); err == nil {
			ehost, eport = h, p
		}
		if eport != "" && eport != port {
			continue
		}
		if eip, err := netip.ParseAddr(ehost); err == nil {
			if ipErr == nil && eip.Unmap() == ip {
				return false
			}
			continue
		}
		ehost = strings.TrimSuffix(strings.TrimPrefix(ehost, "*"), ".")
		if strings.HasPrefix(ehost, ".") {
			if strings.HasSuffix(host, ehost) {
				return false
			}
		} else if host == ehost || strings.HasSuffix(host, "."+ehost) {
			return false
		}
	}
	return true
}
