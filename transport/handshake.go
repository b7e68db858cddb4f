package transport

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// acceptGUID is the fixed GUID of RFC 6455 §1.3 that the server appends to
// the key before hashing, proving it speaks WebSocket.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// newKey returns a Sec-WebSocket-Key: 16 random bytes in base64
// (RFC 6455 §4.1). It comes from crypto/rand so that an intermediary cannot
// predict it and serve a cached response.
func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	return base64.StdEncoding.EncodeToString(b[:])
}

// acceptKey computes Sec-WebSocket-Accept for key: base64(SHA-1(key+GUID)).
func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// validKey reports whether a client's key is base64 for exactly 16 bytes
// (RFC 6455 §4.2.1 item 5).
func validKey(key string) bool {
	if len(key) != 24 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(key)
	return err == nil && len(b) == 16
}

// appendRequest appends the opening handshake request for u. The header
// values were checked by DialOptions.check, so nothing the program passed
// can break the request into two.
func appendRequest(b []byte, u *url.URL, key string, o *DialOptions) []byte {
	host := u.Host
	for k, vs := range o.Header {
		// Not Header.Get: a map literal may hold the key in any case.
		if http.CanonicalHeaderKey(k) == "Host" && len(vs) > 0 && vs[0] != "" {
			host = vs[0]
		}
	}
	b = append(b, "GET "...)
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "...)
	b = append(b, key...)
	b = append(b, "\r\nSec-WebSocket-Version: 13\r\n"...)
	if len(o.Subprotocols) > 0 {
		b = appendField(b, "Sec-WebSocket-Protocol", strings.Join(o.Subprotocols, ", "))
	}
	if o.Compression != nil {
		b = append(b, "Sec-WebSocket-Extensions: "...)
		b = appendDeflateOffer(b, o.Compression)
		b = append(b, "\r\n"...)
	}
	for k, vs := range o.Header {
		k = http.CanonicalHeaderKey(k)
		if k == "Host" {
			continue
		}
		for _, v := range vs {
			b = appendField(b, k, v)
		}
	}
	return append(b, "\r\n"...)
}

func appendField(b []byte, k, v string) []byte {
	b = append(b, k...)
	b = append(b, ": "...)
	b = append(b, v...)
	return append(b, "\r\n"...)
}

// checkUpgrade applies RFC 6455 §4.1's rules for the client to a 101
// response. It returns what is wrong, or "" and the selected subprotocol.
func checkUpgrade(h *responseHead, key string, offered []string) (subprotocol, problem string) {
	hdr := h.header
	if h.minor < 1 {
		return "", "101 in an HTTP/1.0 response"
	}
	if up := hdr.Values("Upgrade"); len(up) != 1 || !strings.EqualFold(up[0], "websocket") {
		return "", `Upgrade header is not "websocket"`
	}
	if !hasToken(hdr.Values("Connection"), "upgrade") {
		return "", `Connection header lacks the "upgrade" token`
	}
	if acc := hdr.Values("Sec-Websocket-Accept"); len(acc) != 1 || acc[0] != acceptKey(key) {
		return "", "Sec-WebSocket-Accept does not match the key"
	}
	switch ps := hdr.Values("Sec-Websocket-Protocol"); {
	case len(ps) == 0:
		return "", ""
	case len(ps) > 1:
		return "", "server selected more than one subprotocol"
	default:
		for _, o := range offered {
			if ps[0] == o {
				return o, ""
			}
		}
		return "", "server selected a subprotocol the client did not offer"
	}
}

// hasToken reports whether the comma-separated lists in values hold token,
// compared case-insensitively as Connection and Upgrade require.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// errorHeader returns the copy of a response header that goes into a
// HandshakeError. Errors get logged, so it leaves out cookies the server
// set (a session cookie is a credential) and any credential header a
// misbehaving server or proxy echoed back.
func errorHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		switch k {
		case "Set-Cookie", "Set-Cookie2", "Cookie", "Authorization", "Proxy-Authorization":
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// redactURL returns u fit for an error message: without user info, query
// or fragment, where credentials and signed tokens usually travel. A
// query is shown as "?[redacted]" so the reader knows there was one.
func redactURL(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	s := r.String()
	if u.RawQuery != "" || u.ForceQuery {
		s += "?[redacted]"
	}
	return s
}

// extensionError builds the error for a 101 whose extension negotiation
// RFC 7692 §7 says to reject; it matches ErrExtension.
func extensionError(h *responseHead, problem string) *HandshakeError {
	he := upgradeError(h, problem)
	he.Err = ErrExtension
	return he
}

// upgradeError builds the error for a 101 that RFC 6455 says to reject.
func upgradeError(h *responseHead, problem string) *HandshakeError {
	return &HandshakeError{
		StatusCode: h.status,
		Header:     errorHeader(h.header),
		Msg:        fmt.Sprintf("invalid upgrade response: %s", problem),
	}
}
