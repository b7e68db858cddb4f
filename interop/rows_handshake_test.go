package interop

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// handshakeRows are RFC 6455 §4.1: what the client sends (checked by
// peer.readRequest in every row) and the responses it must refuse, each
// refusal followed by the client closing TCP (§4.1: "_Fail the WebSocket
// Connection_").
func handshakeRows() []row {
	reject := func(status string, lines ...string) func(p *peer) error {
		return func(p *peer) error {
			return run(p.respond(status, lines...), p.expectEOF)
		}
	}
	bad101 := func(lines ...func(p *peer) string) func(p *peer) error {
		return func(p *peer) error {
			var ls []string
			for _, l := range lines {
				if s := l(p); s != "" {
					ls = append(ls, s)
				}
			}
			return run(p.respond("101 Switching Protocols", ls...), p.expectEOF)
		}
	}
	line := func(s string) func(*peer) string { return func(*peer) string { return s } }
	acceptLine := func(p *peer) string { return "Sec-WebSocket-Accept: " + p.accept() }
	return []row{
		{id: "RFC6455-4.1-request", desc: "the request has GET, HTTP/1.1, Host, Upgrade, Connection, a 16-byte key and version 13; a correct 101 opens the connection",
			serve: func(p *peer) error { return run(p.echo(opText, []byte("open"), textFrame("open")), p.closeNormally) }, want: closed1000},
		{id: "RFC6455-4.1-tokens-any-case", desc: "Upgrade: WebSocket and Connection: keep-alive, Upgrade are accepted",
			handshake: func(p *peer) error {
				return p.respond("101 Switching Protocols", "Upgrade: WebSocket", "Connection: keep-alive, Upgrade", "Sec-WebSocket-Accept: "+p.accept())
			},
			serve: func(p *peer) error { return run(p.echo(opText, []byte("open"), textFrame("open")), p.closeNormally) }, want: closed1000},
		{id: "RFC6455-4.1-subprotocol", desc: "the offered subprotocols are sent; the one the server picks is reported",
			dial: transport.DialOptions{Subprotocols: []string{"chat", "superchat"}},
			handshake: func(p *peer) error {
				if got := p.req.Header.Get("Sec-WebSocket-Protocol"); got != "chat, superchat" {
					return fmt.Errorf("Sec-WebSocket-Protocol %q, want \"chat, superchat\"", got)
				}
				return p.switching("Sec-WebSocket-Protocol: superchat")
			},
			serve: func(p *peer) error { return run(p.expectMessage(opText, []byte("superchat")), p.closeNormally) },
			client: func(ctx context.Context, c *transport.Conn) error {
				if err := c.Write(ctx, transport.MessageText, []byte(c.Subprotocol())); err != nil {
					return err
				}
				return echoLoop(ctx, c)
			},
			want: closed1000},
		{id: "RFC6455-4.1-wrong-accept", desc: "a wrong Sec-WebSocket-Accept is refused",
			handshake: bad101(line("Upgrade: websocket"), line("Connection: Upgrade"), line("Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==")),
			want:      refused101()},
		{id: "RFC6455-4.1-no-accept", desc: "a 101 without Sec-WebSocket-Accept is refused",
			handshake: bad101(line("Upgrade: websocket"), line("Connection: Upgrade")), want: refused101()},
		{id: "RFC6455-4.1-no-upgrade", desc: "a 101 without Upgrade is refused",
			handshake: bad101(line("Connection: Upgrade"), acceptLine), want: refused101()},
		{id: "RFC6455-4.1-wrong-upgrade", desc: "a 101 with Upgrade: h2c is refused",
			handshake: bad101(line("Upgrade: h2c"), line("Connection: Upgrade"), acceptLine), want: refused101()},
		{id: "RFC6455-4.1-no-connection", desc: "a 101 without Connection is refused",
			handshake: bad101(line("Upgrade: websocket"), acceptLine), want: refused101()},
		{id: "RFC6455-4.1-wrong-connection", desc: "a 101 with Connection: keep-alive is refused",
			handshake: bad101(line("Upgrade: websocket"), line("Connection: keep-alive"), acceptLine), want: refused101()},
		{id: "RFC6455-4.1-status-200", desc: "a 200 OK is refused with its status and body",
			handshake: reject("200 OK", "Content-Type: text/plain", "Content-Length: 11", "", "hello world"),
			want: want{dialErr: func(err error) error {
				var he *transport.HandshakeError
				if !errors.As(err, &he) || he.StatusCode != 200 || string(he.Body) != "hello world" {
					return fmt.Errorf("got %v, want *HandshakeError 200 with body \"hello world\"", err)
				}
				return nil
			}}},
		{id: "RFC6455-4.1-unoffered-subprotocol", desc: "a subprotocol the client did not offer is refused",
			handshake: bad101(line("Upgrade: websocket"), line("Connection: Upgrade"), acceptLine, line("Sec-WebSocket-Protocol: chat")),
			want:      refused101()},
		{id: "RFC6455-4.1-other-subprotocol", desc: "a subprotocol other than the offered ones is refused",
			dial:      transport.DialOptions{Subprotocols: []string{"chat"}},
			handshake: bad101(line("Upgrade: websocket"), line("Connection: Upgrade"), acceptLine, line("Sec-WebSocket-Protocol: superchat")),
			want:      refused101()},
		{id: "RFC6455-4.1-unoffered-extension", desc: "an extension the client did not offer is refused",
			handshake: bad101(line("Upgrade: websocket"), line("Connection: Upgrade"), acceptLine, line("Sec-WebSocket-Extensions: permessage-deflate")),
			want:      refused101()},
		{id: "RFC6455-4.1-oversized-header", desc: "a response header over 16 KiB is refused with ErrResponseTooLarge",
			handshake: bad101(line("Upgrade: websocket"), line("Connection: Upgrade"), acceptLine, line("X-Padding: "+strings.Repeat("p", 17<<10))),
			want:      dialIs(transport.ErrResponseTooLarge)},
		{id: "RFC6455-4.1-too-many-fields", desc: "a response with 200 header fields is refused with ErrResponseTooLarge",
			handshake: func(p *peer) error {
				ls := []string{"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: " + p.accept()}
				for i := range 200 {
					ls = append(ls, fmt.Sprintf("X-Field-%d: v", i))
				}
				return run(p.respond("101 Switching Protocols", ls...), p.expectEOF)
			},
			want: dialIs(transport.ErrResponseTooLarge)},
		{id: "RFC6455-4.1-malformed-status", desc: "a malformed status line is refused with ErrMalformedResponse",
			handshake: func(p *peer) error {
				_, err := p.nc.Write([]byte("HTTP/1.1 one-oh-one Switching\r\n\r\n"))
				return run(err, p.expectEOF)
			},
			want: dialIs(transport.ErrMalformedResponse)},
		{id: "RFC6455-4.1-503-retry-after", desc: "a 503 with Retry-After: 7 is refused with the delay",
			handshake: reject("503 Service Unavailable", "Retry-After: 7", "Content-Length: 0"),
			want: want{dialErr: func(err error) error {
				var he *transport.HandshakeError
				if !errors.As(err, &he) || he.StatusCode != 503 || he.RetryAfter != 7*time.Second {
					return fmt.Errorf("got %v, want *HandshakeError 503 with RetryAfter 7s", err)
				}
				return nil
			}}},
		{id: "RFC6455-4.1-eof-in-head", desc: "a response cut off inside its header is an error, not a hang",
			handshake: func(p *peer) error {
				_, err := p.nc.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: webso"))
				return run(err, p.nc.Close)
			},
			want: want{dialErr: func(err error) error {
				var he *transport.HandshakeError
				if err == nil || errors.As(err, &he) {
					return fmt.Errorf("got %v, want a read error", err)
				}
				return nil
			}}},
	}
}

// refused101 expects Dial to refuse a 101 that RFC 6455 §4.1 rejects.
func refused101() want {
	return want{dialErr: func(err error) error {
		var he *transport.HandshakeError
		if !errors.As(err, &he) || he.StatusCode != 101 {
			return fmt.Errorf("got %v, want *transport.HandshakeError with status 101", err)
		}
		return nil
	}}
}

func dialIs(target error) want {
	return want{dialErr: func(err error) error {
		if !errors.Is(err, target) {
			return fmt.Errorf("got %v, want %v", err, target)
		}
		return nil
	}}
}
