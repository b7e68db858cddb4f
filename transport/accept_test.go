package transport

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testKey = "dGhlIHNhbXBsZSBub25jZQ=="

// upgradeRequest is a valid handshake request for host "example.com".
func upgradeRequest() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/ws", nil)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", testKey)
	return r
}

// TestAcceptRejects_Section4_2_1 checks each requirement of RFC 6455
// §4.2.1 on the request, and the status Accept answers with. A recorder
// cannot be hijacked, so every request here must fail before hijacking.
func TestAcceptRejects_Section4_2_1(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(r *http.Request)
		opts   *AcceptOptions
		status int
		header http.Header // must be present in the response
	}{
		{"POST", func(r *http.Request) { r.Method = http.MethodPost }, nil,
			http.StatusMethodNotAllowed, http.Header{"Allow": {"GET"}}},
		{"HTTP/1.0", func(r *http.Request) { r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.0", 1, 0 }, nil,
			http.StatusHTTPVersionNotSupported, nil},
		{"HTTP/2", func(r *http.Request) { r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0 }, nil,
			http.StatusHTTPVersionNotSupported, nil},
		{"no Upgrade", func(r *http.Request) { r.Header.Del("Upgrade") }, nil,
			http.StatusUpgradeRequired, http.Header{"Upgrade": {"websocket"}}},
		{"Upgrade h2c", func(r *http.Request) { r.Header.Set("Upgrade", "h2c") }, nil,
			http.StatusUpgradeRequired, http.Header{"Upgrade": {"websocket"}}},
		{"no Connection", func(r *http.Request) { r.Header.Del("Connection") }, nil,
			http.StatusUpgradeRequired, http.Header{"Upgrade": {"websocket"}}},
		{"Connection keep-alive", func(r *http.Request) { r.Header.Set("Connection", "keep-alive") }, nil,
			http.StatusUpgradeRequired, http.Header{"Upgrade": {"websocket"}}},
		{"version 8", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "8") }, nil,
			http.StatusUpgradeRequired, http.Header{"Sec-Websocket-Version": {"13"}}},
		{"no version", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Version") }, nil,
			http.StatusUpgradeRequired, http.Header{"Sec-Websocket-Version": {"13"}}},
		{"no key", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Key") }, nil,
			http.StatusBadRequest, nil},
		{"key of 15 bytes", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25j") }, nil,
			http.StatusBadRequest, nil},
		{"key not base64", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "not a key at all!!!!!!!!") }, nil,
			http.StatusBadRequest, nil},
		{"two keys", func(r *http.Request) { r.Header.Add("Sec-WebSocket-Key", testKey) }, nil,
			http.StatusBadRequest, nil},
		{"cross origin", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }, nil,
			http.StatusForbidden, nil},
		{"origin not in patterns", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
			&AcceptOptions{OriginPatterns: []string{"*.good.example"}}, http.StatusForbidden, nil},
		{"null origin", func(r *http.Request) { r.Header.Set("Origin", "null") }, nil,
			http.StatusForbidden, nil},
		{"bad origin pattern", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
			&AcceptOptions{OriginPatterns: []string{"[a-"}}, http.StatusInternalServerError, nil},
		{"not hijackable", func(*http.Request) {}, nil, http.StatusInternalServerError, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := upgradeRequest()
			tt.edit(r)
			w := httptest.NewRecorder()
			c, err := Accept(w, r, tt.opts)
			require.Nil(t, c)
			var ae *AcceptError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.status, ae.StatusCode)
			assert.Equal(t, tt.status, w.Code)
			for k, v := range tt.header {
				assert.Equal(t, v, w.Header().Values(k), "header %s", k)
			}
		})
	}
}

func TestAcceptReservedResponseHeader(t *testing.T) {
	for _, k := range []string{"Sec-WebSocket-Accept", "Upgrade", "sec-websocket-protocol"} {
		w := httptest.NewRecorder()
		_, err := Accept(w, upgradeRequest(), &AcceptOptions{ResponseHeader: http.Header{k: {"x"}}})
		require.ErrorIs(t, err, ErrReservedHeader, k)
		assert.Equal(t, http.StatusInternalServerError, w.Code)
	}
	w := httptest.NewRecorder()
	_, err := Accept(w, upgradeRequest(), &AcceptOptions{ResponseHeader: http.Header{"X-A": {"1\r\n2"}}})
	require.ErrorIs(t, err, ErrInvalidHeader)
}

func TestOriginAllowed(t *testing.T) {
	tests := []struct {
		name     string
		origin   string
		patterns []string
		want     bool
	}{
		{"no Origin", "", nil, true},
		{"same host", "https://example.com", nil, true},
		{"same host, other case", "https://EXAMPLE.com", nil, true},
		{"other host", "https://evil.example", nil, false},
		{"other port", "https://example.com:8443", nil, false},
		{"host pattern", "https://app.good.example", []string{"*.good.example"}, true},
		{"pattern ignores case", "https://APP.good.example", []string{"*.Good.Example"}, true},
		{"pattern with scheme", "https://app.good.example", []string{"https://*.good.example"}, true},
		{"pattern with wrong scheme", "http://app.good.example", []string{"https://*.good.example"}, false},
		{"pattern with port", "http://localhost:3000", []string{"localhost:3000"}, true},
		{"pattern does not cross dots", "https://good.example.evil", []string{"good.example"}, false},
		{"unparsable", "://", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := upgradeRequest()
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			got, err := originAllowed(r, tt.patterns)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSelectSubprotocol(t *testing.T) {
	tests := []struct {
		offered   []string
		supported []string
		want      string
	}{
		{nil, []string{"a"}, ""},
		{[]string{"a"}, nil, ""},
		{[]string{"b, a"}, []string{"a", "b"}, "a"}, // the server's preference wins
		{[]string{"b", "a"}, []string{"a", "b"}, "a"},
		{[]string{"x, b"}, []string{"a", "b"}, "b"},
		{[]string{"c"}, []string{"a", "b"}, ""},
		{[]string{"A"}, []string{"a"}, ""}, // names are case-sensitive
	}
	for _, tt := range tests {
		r := upgradeRequest()
		for _, o := range tt.offered {
			r.Header.Add("Sec-WebSocket-Protocol", o)
		}
		assert.Equal(t, tt.want, selectSubprotocol(r, tt.supported), "offered %q, supported %q", tt.offered, tt.supported)
	}
}

// acceptServer runs Accept with opts for every request and hands each
// server Conn (or error) to the test through the returned channel; the
// handler returns only once the test is done with the Conn, when release
// is closed or the test ends.
func acceptServer(t *testing.T, opts *AcceptOptions) (srv *httptest.Server, conns <-chan *Conn, errs <-chan error) {
	cc := make(chan *Conn, 1)
	ec := make(chan error, 1)
	release := make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opts)
		if err != nil {
			ec <- err
			return
		}
		cc <- c
		<-release
		c.CloseNow()
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv, cc, ec
}

func TestAcceptDialRoundTrip(t *testing.T) {
	srv, conns, _ := acceptServer(t, &AcceptOptions{
		Subprotocols:   []string{"v2", "v1"},
		ResponseHeader: http.Header{"X-Server": {"sturdy"}},
	})
	cc, resp, err := dialTest(t, srv.URL, &DialOptions{Subprotocols: []string{"v1", "v2"}})
	require.NoError(t, err)
	sc := <-conns
	assert.Equal(t, "v2", cc.Subprotocol(), "the server's preference wins")
	assert.Equal(t, "v2", sc.Subprotocol())
	assert.Equal(t, "sturdy", resp.Header.Get("X-Server"))

	ctx := context.Background()
	require.NoError(t, cc.Write(ctx, MessageText, []byte("ping?")))
	typ, p, err := sc.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, MessageText, typ)
	assert.Equal(t, "ping?", string(p))

	require.NoError(t, sc.Write(ctx, MessageBinary, []byte("pong!")))
	typ, p, err = cc.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, MessageBinary, typ)
	assert.Equal(t, "pong!", string(p))

	// Close handshake: the server reads the client's close frame and
	// echoes it, and both ends report a normal closure.
	done := make(chan error, 1)
	go func() {
		_, _, err := sc.Read(ctx)
		done <- err
	}()
	require.NoError(t, cc.Close(StatusNormalClosure, "bye"))
	err = <-done
	assert.Equal(t, StatusNormalClosure, CloseStatus(err))
}

func TestAcceptNoSubprotocolMatch(t *testing.T) {
	srv, conns, _ := acceptServer(t, &AcceptOptions{Subprotocols: []string{"v3"}})
	cc, resp, err := dialTest(t, srv.URL, &DialOptions{Subprotocols: []string{"v1"}})
	require.NoError(t, err)
	sc := <-conns
	assert.Equal(t, "", cc.Subprotocol())
	assert.Equal(t, "", sc.Subprotocol())
	assert.Empty(t, resp.Header.Values("Sec-WebSocket-Protocol"))
}

func TestAcceptOriginOverNetwork(t *testing.T) {
	tests := []struct {
		name   string
		opts   *AcceptOptions
		origin func(srvURL string) string
		ok     bool
	}{
		{"same host", nil, func(u string) string { return u }, true},
		{"cross origin", nil, func(string) string { return "https://evil.example" }, false},
		{"pattern", &AcceptOptions{OriginPatterns: []string{"*.good.example"}},
			func(string) string { return "https://app.good.example" }, true},
		{"skip check", &AcceptOptions{InsecureSkipOriginCheck: true},
			func(string) string { return "https://evil.example" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, errs := acceptServer(t, tt.opts)
			_, _, err := dialTest(t, srv.URL, &DialOptions{Header: http.Header{"Origin": {tt.origin(srv.URL)}}})
			if tt.ok {
				require.NoError(t, err)
				return
			}
			var he *HandshakeError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, http.StatusForbidden, he.StatusCode)
			var ae *AcceptError
			require.ErrorAs(t, <-errs, &ae)
			assert.Equal(t, http.StatusForbidden, ae.StatusCode)
		})
	}
}

// TestAcceptKeepsFramesBehindRequest: a client may send its first frame
// in the same segment as the handshake request, before the 101 arrives;
// net/http has then read it into its buffer, and the Conn must get it.
func TestAcceptKeepsFramesBehindRequest(t *testing.T) {
	for _, size := range []int{0, 16, 64 << 10} { // adaptive, and fixed sizes
		t.Run("", func(t *testing.T) {
			srv, conns, _ := acceptServer(t, &AcceptOptions{ReadBufferSize: size})
			nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			require.NoError(t, err)
			defer nc.Close()
			req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
				"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + testKey + "\r\n\r\n"
			out := append([]byte(req), frameBytes(true, 0, OpText, true, []byte("early"))...)
			_, err = nc.Write(out)
			require.NoError(t, err)

			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			require.NoError(t, err)
			assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
			assert.Equal(t, acceptKey(testKey), resp.Header.Get("Sec-WebSocket-Accept"))

			sc := <-conns
			_, p, err := sc.Read(context.Background())
			require.NoError(t, err)
			assert.Equal(t, "early", string(p))
		})
	}
}

func TestAcceptResponseOverNetwork(t *testing.T) {
	// The raw 101, as a client other than ours would read it.
	srv, conns, _ := acceptServer(t, &AcceptOptions{Subprotocols: []string{"b", "a"}})
	nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	defer nc.Close()
	_, err = io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "+testKey+"\r\nSec-WebSocket-Protocol: a, b\r\n"+
		"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	require.NoError(t, err)
	<-conns
	assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	assert.Equal(t, "websocket", resp.Header.Get("Upgrade"))
	assert.Equal(t, "Upgrade", resp.Header.Get("Connection"))
	assert.Equal(t, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", resp.Header.Get("Sec-WebSocket-Accept"))
	assert.Equal(t, "b", resp.Header.Get("Sec-WebSocket-Protocol"))
	assert.Empty(t, resp.Header.Values("Sec-WebSocket-Extensions"), "extensions are declined")
}

func TestAcceptOptionsReachConn(t *testing.T) {
	srv, conns, _ := acceptServer(t, &AcceptOptions{
		ReadLimit:    99,
		WriteTimeout: time.Second,
		CloseTimeout: 3 * time.Second,
		OnPong:       func([]byte) {},
	})
	_, _, err := dialTest(t, srv.URL, nil)
	require.NoError(t, err)
	sc := <-conns
	assert.False(t, sc.client)
	assert.Equal(t, int64(99), sc.rd.limit.Load())
	assert.Equal(t, time.Second, sc.writeTimeout)
	assert.Equal(t, 3*time.Second, sc.closeTimeout)
	assert.NotNil(t, sc.onPong)
	assert.Nil(t, sc.onPing)
}
