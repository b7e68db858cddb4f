package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
)

// SOCKS5 constants of RFC 1928 and RFC 1929.
const (
	socksVersion      = 5
	socksAuthVersion  = 1 // RFC 1929's subnegotiation version
	socksNoAuth       = 0
	socksUserPass     = 2
	socksNoAcceptable = 0xff
	socksConnectCmd   = 1
	socksIPv4         = 1
	socksDomain       = 3
	socksIPv6         = 4
)

// errSOCKS is the cause of a SOCKS5 answer that breaks RFC 1928 or 1929;
// it matches ErrMalformedResponse.
func errSOCKS(what string) error {
	return fmt.Errorf("SOCKS5 proxy: %w: %s", ErrMalformedResponse, what)
}

// socksConnect asks the SOCKS5 proxy at the other end of rw to connect to
// host:port (RFC 1928), authenticating with user (RFC 1929) when it is
// set. host is an IP address, or a name for the proxy to resolve. The
// proxy's answers are read field by field, never past the reply, so the
// first byte after it is the server's.
func socksConnect(ctx context.Context, rw io.ReadWriter, user *url.Userinfo, host string, port uint16) error {
	// One buffer for every message: the largest is the RFC 1929 request,
	// 3 + 255 + 255 bytes.
	buf := make([]byte, 0, 3+255+255)
	var name, pass string
	if user != nil {
		name = user.Username()
		pass, _ = user.Password()
		if len(name) == 0 || len(name) > 255 || len(pass) > 255 {
			// Not quoted: these are credentials.
			return fmt.Errorf("%w: a SOCKS5 user name must have 1 to 255 bytes and a password at most 255", ErrInvalidURL)
		}
	}
	req, err := appendSOCKSConnect(make([]byte, 0, 6+1+255), host, port)
	if err != nil {
		return err
	}

	methods := []byte{socksNoAuth}
	if user != nil {
		methods = []byte{socksNoAuth, socksUserPass}
	}
	buf = append(buf[:0], socksVersion, byte(len(methods)))
	buf = append(buf, methods...)
	if err := socksRoundTrip(ctx, rw, buf, buf[:2]); err != nil {
		return err
	}
	if buf[0] != socksVersion {
		return errSOCKS("version of the method selection is not 5")
	}
	switch buf[1] {
	case socksNoAuth:
	case socksUserPass:
		if user == nil {
			return errSOCKS("chose username/password, which was not offered")
		}
		if err := socksAuth(ctx, rw, buf, name, pass); err != nil {
			return err
		}
	case socksNoAcceptable:
		return &ProxyAuthError{NoAcceptableMethod: true}
	default:
		return errSOCKS("chose a method that was not offered")
	}

	if _, err := rw.Write(req); err != nil {
		return ioError(ctx, "SOCKS5 proxy", err)
	}
	return readSOCKSReply(ctx, rw, buf[:cap(buf)])
}

// socksAuth runs the username/password subnegotiation of RFC 1929.
func socksAuth(ctx context.Context, rw io.ReadWriter, buf []byte, name, pass string) error {
	buf = append(buf[:0], socksAuthVersion, byte(len(name)))
	buf = append(buf, name...)
	buf = append(buf, byte(len(pass)))
	buf = append(buf, pass...)
	err := socksRoundTrip(ctx, rw, buf, buf[:2])
	ver, status := buf[0], buf[1]
	clear(buf[:cap(buf)]) // the password is not left lying in memory
	if err != nil {
		return err
	}
	if ver != socksAuthVersion {
		return errSOCKS("version of the username/password answer is not 1")
	}
	if status != 0 {
		return &ProxyAuthError{}
	}
	return nil
}

// socksRoundTrip writes msg and reads exactly len(answer) bytes back.
func socksRoundTrip(ctx context.Context, rw io.ReadWriter, msg, answer []byte) error {
	if _, err := rw.Write(msg); err != nil {
		return ioError(ctx, "SOCKS5 proxy", err)
	}
	if _, err := io.ReadFull(rw, answer); err != nil {
		return ioError(ctx, "SOCKS5 proxy", eofUnexpected(err))
	}
	return nil
}

// appendSOCKSConnect appends the CONNECT request for host:port: an
// address when host is one, a domain name otherwise.
func appendSOCKSConnect(b []byte, host string, port uint16) ([]byte, error) {
	b = append(b, socksVersion, socksConnectCmd, 0)
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if ip.Is4() {
			b = append(b, socksIPv4)
		} else {
			b = append(b, socksIPv6)
		}
		b = append(b, ip.AsSlice()...)
	} else {
		if len(host) > 255 {
			return nil, fmt.Errorf("%w: host name longer than SOCKS5's 255 bytes", ErrInvalidURL)
		}
		b = append(b, socksDomain, byte(len(host)))
		b = append(b, host...)
	}
	return append(b, byte(port>>8), byte(port)), nil
}

// readSOCKSReply reads the reply to CONNECT (RFC 1928 §6) into buf, which
// must hold 4+1+255+2 bytes, and returns nil when it grants the tunnel.
// The bound address is read and dropped: the client has no use for it.
func readSOCKSReply(ctx context.Context, r io.Reader, buf []byte) error {
	read := func(p []byte) error {
		if _, err := io.ReadFull(r, p); err != nil {
			return ioError(ctx, "SOCKS5 proxy", eofUnexpected(err))
		}
		return nil
	}
	if err := read(buf[:4]); err != nil {
		return err
	}
	ver, rep, rsv, atyp := buf[0], buf[1], buf[2], buf[3]
	if ver != socksVersion {
		return errSOCKS("version of the reply is not 5")
	}
	if rep != 0 {
		// A refusal need not carry a usable address: stop here.
		return &ProxyError{SOCKSReply: int(rep)}
	}
	if rsv != 0 {
		return errSOCKS("reserved byte of the reply is not 0")
	}
	var n int
	switch atyp {
	case socksIPv4:
		n = net.IPv4len
	case socksIPv6:
		n = net.IPv6len
	case socksDomain:
		if err := read(buf[:1]); err != nil {
			return err
		}
		n = int(buf[0])
	default:
		return errSOCKS("unknown address type in the reply")
	}
	return read(buf[:n+2])
}

// eofUnexpected turns a clean EOF in the middle of a SOCKS exchange into
// io.ErrUnexpectedEOF: the proxy hung up before it finished answering.
func eofUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
