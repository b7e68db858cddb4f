package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scriptServer is a raw TCP server on loopback: for each connection it
// reads the handshake request and hands it to serve, which writes whatever
// bytes the test wants. It returns the ws:// URL and stops, waiting for
// every connection's goroutine, when the test ends. serve should wait for
// the client to go away (drainUntilClosed) rather than close first, so no
// byte it wrote is lost to a reset.
func scriptServer(t *testing.T, serve func(nc net.Conn, req *http.Request)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer nc.Close()
				req, err := http.ReadRequest(bufio.NewReader(nc))
				if err != nil {
					return
				}
				serve(nc, req)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return "ws://" + ln.Addr().String()
}

// drainUntilClosed reads until the client closes the connection.
func drainUntilClosed(nc net.Conn) { _, _ = io.Copy(io.Discard, nc) }

// upgradeResponse is a correct 101 for req with extra header lines.
func upgradeResponse(req *http.Request, extra ...string) string {
	s := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n"
	for _, e := range extra {
		s += e + "\r\n"
	}
	return s + "\r\n"
}

// respond returns a serve function that writes the response make builds.
func respond(build func(req *http.Request) string) func(net.Conn, *http.Request) {
	return func(nc net.Conn, req *http.Request) {
		_, _ = io.WriteString(nc, build(req))
		drainUntilClosed(nc)
	}
}

func dialTest(t *testing.T, url string, opts *DialOptions) (*Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := Dial(ctx, url, opts)
	if c != nil {
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, resp, err
}

func TestDialRequest_Section4_1(t *testing.T) {
	reqs := make(chan *http.Request, 1)
	url := scriptServer(t, func(nc net.Conn, req *http.Request) {
		reqs <- req
		respond(func(req *http.Request) string {
			return upgradeResponse(req, "Sec-WebSocket-Protocol: chat.v2")
		})(nc, req)
	})
	c, resp, err := dialTest(t, url+"/feed?x=1", &DialOptions{
		Subprotocols: []string{"chat.v2", "chat.v1"},
		Header:       http.Header{"X-Client": {"a", "b"}, "Origin": {"http://example.com"}},
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	assert.Equal(t, "chat.v2", c.Subprotocol())

	req := <-reqs
	assert.Equal(t, http.MethodGet, req.Method)
	assert.Equal(t, "/feed?x=1", req.RequestURI)
	assert.Equal(t, strings.TrimPrefix(url, "ws://"), req.Host)
	assert.Equal(t, "HTTP/1.1", req.Proto)
	assert.Equal(t, "websocket", req.Header.Get("Upgrade"))
	assert.Equal(t, "Upgrade", req.Header.Get("Connection"))
	assert.Equal(t, "13", req.Header.Get("Sec-WebSocket-Version"))
	assert.True(t, validKey(req.Header.Get("Sec-WebSocket-Key")))
	assert.Equal(t, "chat.v2, chat.v1", req.Header.Get("Sec-WebSocket-Protocol"))
	assert.Equal(t, []string{"a", "b"}, req.Header.Values("X-Client"))
	assert.Equal(t, "http://example.com", req.Header.Get("Origin"))
	assert.Empty(t, req.Header.Values("Sec-WebSocket-Extensions"), "no extension is offered")
}

func TestDialHostOverride(t *testing.T) {
	hosts := make(chan string, 1)
	url := scriptServer(t, func(nc net.Conn, req *http.Request) {
		hosts <- req.Host
		respond(func(req *http.Request) string { return upgradeResponse(req) })(nc, req)
	})
	_, _, err := dialTest(t, url, &DialOptions{Header: http.Header{"Host": {"virtual.example"}}})
	require.NoError(t, err)
	assert.Equal(t, "virtual.example", <-hosts)
	_, _, err = dialTest(t, url, &DialOptions{Header: http.Header{"host": {"lower.example"}}})
	require.NoError(t, err)
	assert.Equal(t, "lower.example", <-hosts, "a non-canonical key still overrides")
}

func TestDialHTTPSchemeMapped(t *testing.T) {
	url := scriptServer(t, respond(func(req *http.Request) string { return upgradeResponse(req) }))
	_, resp, err := dialTest(t, "http://"+strings.TrimPrefix(url, "ws://"), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
}

// TestDialRejectsUpgrade_Section4_1 covers the checks of RFC 6455 §4.1 on
// a 101 response, each of which must fail the connection.
func TestDialRejectsUpgrade_Section4_1(t *testing.T) {
	const ok101 = "HTTP/1.1 101 Switching Protocols\r\n"
	accept := func(req *http.Request) string {
		return "Sec-WebSocket-Accept: " + acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n"
	}
	tests := []struct {
		name   string
		offer  []string
		answer func(req *http.Request) string
	}{
		{"wrong Sec-WebSocket-Accept", nil, func(req *http.Request) string {
			return ok101 + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
				acceptKey("dGhlIHNhbXBsZSBub25jZQ==") + "\r\n\r\n"
		}},
		{"missing Sec-WebSocket-Accept", nil, func(req *http.Request) string {
			return ok101 + "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
		}},
		{"two Sec-WebSocket-Accept", nil, func(req *http.Request) string {
			return ok101 + "Upgrade: websocket\r\nConnection: Upgrade\r\n" + accept(req) + accept(req) + "\r\n"
		}},
		{"missing Upgrade", nil, func(req *http.Request) string {
			return ok101 + "Connection: Upgrade\r\n" + accept(req) + "\r\n"
		}},
		{"wrong Upgrade", nil, func(req *http.Request) string {
			return ok101 + "Upgrade: h2c\r\nConnection: Upgrade\r\n" + accept(req) + "\r\n"
		}},
		{"missing Connection", nil, func(req *http.Request) string {
			return ok101 + "Upgrade: websocket\r\n" + accept(req) + "\r\n"
		}},
		{"wrong Connection", nil, func(req *http.Request) string {
			return ok101 + "Upgrade: websocket\r\nConnection: keep-alive\r\n" + accept(req) + "\r\n"
		}},
		{"subprotocol when none offered", nil, func(req *http.Request) string {
			return upgradeResponse(req, "Sec-WebSocket-Protocol: chat")
		}},
		{"subprotocol not offered", []string{"a", "b"}, func(req *http.Request) string {
			return upgradeResponse(req, "Sec-WebSocket-Protocol: c")
		}},
		{"two subprotocols", []string{"a", "b"}, func(req *http.Request) string {
			return upgradeResponse(req, "Sec-WebSocket-Protocol: a", "Sec-WebSocket-Protocol: b")
		}},
		{"extension", nil, func(req *http.Request) string {
			return upgradeResponse(req, "Sec-WebSocket-Extensions: permessage-deflate")
		}},
		{"HTTP/1.0", nil, func(req *http.Request) string {
			return "HTTP/1.0" + strings.TrimPrefix(upgradeResponse(req), "HTTP/1.1")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := scriptServer(t, respond(tt.answer))
			c, resp, err := dialTest(t, url, &DialOptions{Subprotocols: tt.offer})
			require.Nil(t, c)
			var he *HandshakeError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, http.StatusSwitchingProtocols, he.StatusCode)
			assert.NotEmpty(t, he.Msg)
			require.NotNil(t, resp, "the rejected 101 is returned")
			assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
		})
	}
}

func TestDialAcceptsCaseInsensitiveTokens_Section4_1(t *testing.T) {
	url := scriptServer(t, respond(func(req *http.Request) string {
		return "HTTP/1.1 101 Switching Protocols\r\nUPGRADE: WebSocket\r\nconnection: keep-alive, UPGRADE\r\n" +
			"Sec-WebSocket-Accept: " + acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"
	}))
	c, _, err := dialTest(t, url, nil)
	require.NoError(t, err)
	assert.Equal(t, "", c.Subprotocol())
}

func TestDialNon101_Section4_1(t *testing.T) {
	future := func() string { return time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat) }
	tests := []struct {
		status     int
		retryAfter func() string
		// the RetryAfter range: an HTTP date has whole seconds and the clock
		// moves on, so it can come out up to a second short
		min, max time.Duration
	}{
		{200, nil, 0, 0},
		{401, nil, 0, 0},
		{403, nil, 0, 0},
		{404, nil, 0, 0},
		{429, func() string { return "17" }, 17 * time.Second, 17 * time.Second},
		{429, future, 118 * time.Second, 2 * time.Minute},
		{503, func() string { return "3600" }, time.Hour, time.Hour},
		{503, future, 118 * time.Second, 2 * time.Minute},
		{503, func() string { return "tomorrow" }, 0, 0},
		{503, func() string { return "999999999" }, maxRetryAfter, maxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			url := scriptServer(t, respond(func(*http.Request) string {
				s := fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Length: 4\r\nX-Reason: test\r\n", tt.status, http.StatusText(tt.status))
				if tt.retryAfter != nil {
					s += "Retry-After: " + tt.retryAfter() + "\r\n"
				}
				return s + "\r\nnope"
			}))
			c, resp, err := dialTest(t, url, nil)
			require.Nil(t, c)
			var he *HandshakeError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, tt.status, he.StatusCode)
			assert.Equal(t, []byte("nope"), he.Body)
			assert.Equal(t, "test", he.Header.Get("X-Reason"))
			assert.GreaterOrEqual(t, he.RetryAfter, tt.min)
			assert.LessOrEqual(t, he.RetryAfter, tt.max)

			require.NotNil(t, resp)
			assert.Equal(t, tt.status, resp.StatusCode)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, "nope", string(body))
		})
	}
}

func TestDialErrorBodyBounded(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 1024) // 16 KiB
	tests := []struct {
		name, response string
	}{
		{"Content-Length", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 16384\r\n\r\n" + big},
		{"chunked", "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"10\r\n" + big[:16] + "\r\n4000\r\n" + big + "\r\n0\r\n\r\n"},
		{"until EOF", "HTTP/1.1 500 Internal Server Error\r\n\r\n" + big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := scriptServer(t, respond(func(*http.Request) string { return tt.response }))
			_, _, err := dialTest(t, url, nil)
			var he *HandshakeError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, []byte(big[:maxErrorBody]), he.Body)
		})
	}
}

// TestDialErrorBodyStalled: a server that announces a body and never sends
// it costs the body timeout at most, and what did arrive is kept.
func TestDialErrorBodyStalled(t *testing.T) {
	url := scriptServer(t, respond(func(*http.Request) string {
		return "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\npartial"
	}))
	_, _, err := dialTest(t, url, nil)
	var he *HandshakeError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, []byte("partial"), he.Body)
}

func TestDialResponseTooLarge(t *testing.T) {
	tests := []struct {
		name  string
		extra func() []string
	}{
		{"header bytes", func() []string { return []string{"X-Big: " + strings.Repeat("a", maxResponseHeadBytes)} }},
		{"header count", func() []string {
			var lines []string
			for i := range maxResponseFields + 1 {
				lines = append(lines, fmt.Sprintf("X-%d: v", i))
			}
			return lines
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := scriptServer(t, respond(func(req *http.Request) string {
				return upgradeResponse(req, tt.extra()...)
			}))
			c, _, err := dialTest(t, url, nil)
			require.Nil(t, c)
			require.ErrorIs(t, err, ErrResponseTooLarge)
		})
	}
}

func TestDialMalformedResponse(t *testing.T) {
	url := scriptServer(t, respond(func(*http.Request) string { return "SSH-2.0-OpenSSH_9.6\r\n\r\n" }))
	_, _, err := dialTest(t, url, nil)
	require.ErrorIs(t, err, ErrMalformedResponse)
}

func TestDialServerHangsUp(t *testing.T) {
	url := scriptServer(t, func(net.Conn, *http.Request) {})
	_, _, err := dialTest(t, url, nil)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestDialKeepsBytesAfter101 proves that frames sent in the same segment as
// the 101 reach the Conn: the handshake reader must not swallow them.
func TestDialKeepsBytesAfter101(t *testing.T) {
	for _, size := range []int{0, 16} { // default buffer, and one smaller than the 101
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			url := scriptServer(t, func(nc net.Conn, req *http.Request) {
				out := []byte(upgradeResponse(req))
				out = append(out, frameBytes(true, 0, OpText, false, []byte("first"))...)
				out = append(out, frameBytes(true, 0, OpBinary, false, []byte{1, 2, 3})...)
				_, _ = nc.Write(out) // one Write: one segment on loopback
				drainUntilClosed(nc)
			})
			c, _, err := dialTest(t, url, &DialOptions{ReadBufferSize: size})
			require.NoError(t, err)
			ctx := context.Background()
			typ, p, err := c.Read(ctx)
			require.NoError(t, err)
			assert.Equal(t, MessageText, typ)
			assert.Equal(t, "first", string(p))
			typ, p, err = c.Read(ctx)
			require.NoError(t, err)
			assert.Equal(t, MessageBinary, typ)
			assert.Equal(t, []byte{1, 2, 3}, p)
		})
	}
}

func TestDialInvalidOptions(t *testing.T) {
	neverDial := func(context.Context, string, string) (net.Conn, error) {
		t.Error("Dial reached the network with invalid options")
		return nil, errors.New("unreachable")
	}
	const local = "ws://127.0.0.1/"
	header := func(k, v string) DialOptions { return DialOptions{Header: http.Header{k: {v}}} }
	tests := []struct {
		name    string
		url     string
		opts    DialOptions
		wantErr error
	}{
		{"override Sec-WebSocket-Key", local, header("Sec-Websocket-Key", testKey), ErrReservedHeader},
		{"lower-case key in the map", local, header("sec-websocket-key", testKey), ErrReservedHeader},
		{"override Upgrade", local, header("Upgrade", "h2c"), ErrReservedHeader},
		{"override Connection", local, header("Connection", "close"), ErrReservedHeader},
		{"override version", local, header("Sec-WebSocket-Version", "8"), ErrReservedHeader},
		{"protocol via Header", local, header("Sec-WebSocket-Protocol", "chat"), ErrReservedHeader},
		{"extensions via Header", local, header("Sec-WebSocket-Extensions", "permessage-deflate"), ErrReservedHeader},
		{"body framing", local, header("Content-Length", "5"), ErrReservedHeader},
		{"CRLF in a value", local, header("X-A", "a\r\nX-Injected: 1"), ErrInvalidHeader},
		{"space in a name", local, header("X A", "a"), ErrInvalidHeader},
		{"subprotocol not a token", local, DialOptions{Subprotocols: []string{"a b"}}, ErrInvalidHeader},
		{"ftp scheme", "ftp://127.0.0.1/", DialOptions{}, ErrInvalidURL},
		{"no scheme", "127.0.0.1:80", DialOptions{}, ErrInvalidURL},
		{"no host", "ws:///path", DialOptions{}, ErrInvalidURL},
		{"fragment", "ws://127.0.0.1/#frag", DialOptions{}, ErrInvalidURL},
		{"unparsable", "ws://127.0.0.1:port/", DialOptions{}, ErrInvalidURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.NetDialContext = neverDial
			c, resp, err := Dial(context.Background(), tt.url, &tt.opts)
			require.Nil(t, c)
			require.Nil(t, resp)
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestDialOptionsNotModified(t *testing.T) {
	url := scriptServer(t, respond(func(req *http.Request) string { return upgradeResponse(req) }))
	opts := &DialOptions{Header: http.Header{"X-A": {"1"}}}
	_, _, err := dialTest(t, url, opts)
	require.NoError(t, err)
	assert.Equal(t, DialOptions{Header: http.Header{"X-A": {"1"}}}, *opts)
}

// TestDialRedactsSecrets checks every way a Dial can fail for the
// credentials it was given: none may show in the error text, and the
// server's cookies must not be kept in the error.
func TestDialRedactsSecrets(t *testing.T) {
	secrets := []string{"alice", "hunter2", "qTOKENq", "bEARERb", "cOOKIEc", "sESSIONs"}
	opts := func() *DialOptions {
		return &DialOptions{Header: http.Header{
			"Authorization": {"Bearer bEARERb"},
			"Cookie":        {"id=cOOKIEc"},
		}}
	}
	refused := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	reject := scriptServer(t, respond(func(*http.Request) string {
		return "HTTP/1.1 401 Unauthorized\r\nSet-Cookie: s=sESSIONs\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n"
	}))
	badUpgrade := scriptServer(t, respond(func(*http.Request) string {
		return "HTTP/1.1 101 Switching Protocols\r\nSet-Cookie: s=sESSIONs\r\n\r\n"
	}))
	host := func(u string) string { return strings.TrimPrefix(u, "ws://") }
	tests := []struct{ name, url string }{
		{"401", "ws://alice:hunter2@" + host(reject) + "/feed?token=qTOKENq"},
		{"bad 101", "ws://alice:hunter2@" + host(badUpgrade) + "/feed?token=qTOKENq"},
		{"refused", "ws://alice:hunter2@" + refused() + "/feed?token=qTOKENq"},
		{"bad escape in user info", "ws://alice:hunter2%zz@127.0.0.1/?token=qTOKENq"},
		{"user info as scheme", "alice:hunter2@127.0.0.1/?token=qTOKENq"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := dialTest(t, tt.url, opts())
			require.Error(t, err)
			msg := fmt.Sprintf("%v %+v %#v", err, err, errors.Unwrap(err))
			for _, s := range secrets {
				assert.NotContains(t, msg, s, "a secret leaked into the error")
			}
			var he *HandshakeError
			if errors.As(err, &he) {
				assert.Empty(t, he.Header.Values("Set-Cookie"))
			}
		})
	}
}
