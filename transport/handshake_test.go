package transport

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAcceptKey_Section1_3(t *testing.T) {
	// The worked example of RFC 6455 §1.3.
	assert.Equal(t, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", acceptKey("dGhlIHNhbXBsZSBub25jZQ=="))
}

func TestNewKey_Section4_1(t *testing.T) {
	seen := make(map[string]bool)
	for range 64 {
		k := newKey()
		b, err := base64.StdEncoding.DecodeString(k)
		require.NoError(t, err)
		require.Len(t, b, 16, "the key is 16 bytes, base64-encoded")
		require.True(t, validKey(k))
		require.False(t, seen[k], "got a repeated key %q", k)
		seen[k] = true
	}
}

func TestValidKey_Section4_2_1(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"dGhlIHNhbXBsZSBub25jZQ==", true},
		{"", false},
		{"dGhlIHNhbXBsZSBub25jZQ", false},       // padding missing
		{"dGhlIHNhbXBsZSBub25jZXg=", false},     // 17 bytes
		{"dGhlIHNhbXBsZSBub25j", false},         // 15 bytes
		{"dGhlIHNhbXBsZSBub25jZQ=!", false},     // not base64
		{" dGhlIHNhbXBsZSBub25jZQ==", false},    // stray space
		{"dGhlIHNhbXBsZSBub25jZQ==dGhl", false}, // too long
		{"!!!!!!!!!!!!!!!!!!!!!!==", false},     // right length, wrong alphabet
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, validKey(tt.key), "validKey(%q)", tt.key)
	}
}

// parseHead runs readResponseHead over s with a small bufio buffer, so
// lines longer than the buffer are exercised, and returns the head and
// what is left unread.
func parseHead(t *testing.T, s string, lim headLimits) (*responseHead, string, error) {
	t.Helper()
	br := bufio.NewReaderSize(strings.NewReader(s), 16)
	h, err := readResponseHead(br, lim)
	rest, rerr := io.ReadAll(br)
	require.NoError(t, rerr)
	return h, string(rest), err
}

var testLimits = headLimits{bytes: maxResponseHeadBytes, fields: maxResponseFields}

func TestReadResponseHead(t *testing.T) {
	long := strings.Repeat("v", 100) // longer than the 16-byte test buffer
	tests := []struct {
		name    string
		in      string
		status  int
		reason  string
		minor   int
		header  http.Header
		rest    string
		wantErr error
	}{
		{
			name:   "101 with frame behind it",
			in:     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi",
			status: 101, reason: "Switching Protocols", minor: 1,
			header: http.Header{"Upgrade": {"websocket"}},
			rest:   "\x81\x02hi",
		},
		{
			name:   "bare LF line ends",
			in:     "HTTP/1.1 404 Not Found\nX-A: 1\n\nbody",
			status: 404, reason: "Not Found", minor: 1,
			header: http.Header{"X-A": {"1"}},
			rest:   "body",
		},
		{
			name:   "no reason phrase",
			in:     "HTTP/1.0 503\r\n\r\n",
			status: 503, minor: 0, header: http.Header{},
		},
		{
			name:   "empty reason phrase",
			in:     "HTTP/1.1 200 \r\n\r\n",
			status: 200, minor: 1, header: http.Header{},
		},
		{
			name:   "names canonicalised, values trimmed, repeats kept",
			in:     "HTTP/1.1 200 OK\r\nsec-websocket-accept:  x \t\r\nA: 1\r\nA: 2\r\nEmpty:\r\n\r\n",
			status: 200, reason: "OK", minor: 1,
			header: http.Header{"Sec-Websocket-Accept": {"x"}, "A": {"1", "2"}, "Empty": {""}},
		},
		{
			name:   "line longer than the read buffer",
			in:     "HTTP/1.1 200 OK\r\nX-Long: " + long + "\r\n\r\n",
			status: 200, reason: "OK", minor: 1,
			header: http.Header{"X-Long": {long}},
		},
		{name: "HTTP/2", in: "HTTP/2.0 200 OK\r\n\r\n", wantErr: ErrMalformedResponse},
		{name: "not HTTP", in: "SSH-2.0-OpenSSH\r\n\r\n", wantErr: ErrMalformedResponse},
		{name: "two-digit status", in: "HTTP/1.1 20 OK\r\n\r\n", wantErr: ErrMalformedResponse},
		{name: "status with leading zero", in: "HTTP/1.1 099 X\r\n\r\n", wantErr: ErrMalformedResponse},
		{name: "four-digit status", in: "HTTP/1.1 1010 X\r\n\r\n", wantErr: ErrMalformedResponse},
		{name: "control character in reason", in: "HTTP/1.1 200 O\x00K\r\n\r\n", wantErr: ErrMalformedResponse},
		{name: "obs-fold", in: "HTTP/1.1 200 OK\r\nA: 1\r\n 2\r\n\r\n", wantErr: ErrMalformedResponse},
		{name: "space before colon", in: "HTTP/1.1 200 OK\r\nA : 1\r\n\r\n", wantErr: ErrMalformedResponse},
		{name: "no colon", in: "HTTP/1.1 200 OK\r\nA\r\n\r\n", wantErr: ErrMalformedResponse},
		{name: "empty name", in: "HTTP/1.1 200 OK\r\n: 1\r\n\r\n", wantErr: ErrMalformedResponse},
		{name: "CR inside value", in: "HTTP/1.1 200 OK\r\nA: 1\r2\r\n\r\n", wantErr: ErrMalformedResponse},
		{name: "EOF in status line", in: "HTTP/1.1 10", wantErr: io.ErrUnexpectedEOF},
		{name: "EOF in header", in: "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n", wantErr: io.ErrUnexpectedEOF},
		{name: "nothing", in: "", wantErr: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rest, err := parseHead(t, tt.in, testLimits)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.status, h.status)
			assert.Equal(t, tt.reason, h.reason)
			assert.Equal(t, 1, h.major)
			assert.Equal(t, tt.minor, h.minor)
			assert.Equal(t, tt.header, h.header)
			assert.Equal(t, tt.rest, rest, "bytes after the head must stay in the reader")
			assert.Equal(t, len(tt.in)-len(tt.rest), h.size)
		})
	}
}

func TestReadResponseHeadLimits(t *testing.T) {
	fields := func(n int) string {
		var b strings.Builder
		b.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
		for i := range n {
			fmt.Fprintf(&b, "X-%d: v\r\n", i)
		}
		b.WriteString("\r\n")
		return b.String()
	}
	lim := headLimits{bytes: 1 << 20, fields: 128}

	_, _, err := parseHead(t, fields(128), lim)
	require.NoError(t, err, "128 fields are allowed")
	_, _, err = parseHead(t, fields(129), lim)
	require.ErrorIs(t, err, ErrResponseTooLarge)

	head := fields(3)
	_, _, err = parseHead(t, head, headLimits{bytes: len(head), fields: 128})
	require.NoError(t, err, "a head of exactly the byte limit is allowed")
	_, _, err = parseHead(t, head, headLimits{bytes: len(head) - 1, fields: 128})
	require.ErrorIs(t, err, ErrResponseTooLarge)

	// One endless line: the parser must give up at the limit, not buffer
	// until the line ends.
	endless := "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 64<<10)
	_, _, err = parseHead(t, endless, testLimits)
	require.ErrorIs(t, err, ErrResponseTooLarge)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"120", 120 * time.Second},
		{" 7 ", 7 * time.Second},
		{"0005", 5 * time.Second},
		{"86400", maxRetryAfter},
		{"86401", maxRetryAfter},
		{"99999999999999999999999999999999", maxRetryAfter}, // would overflow int64
		{"-5", 0},
		{"+5", 0},
		{"1.5", 0},
		{"soon", 0},
		{date(90 * time.Second), 90 * time.Second},
		{date(-time.Hour), 0},
		{date(0), 0},
		{date(30 * 24 * time.Hour), maxRetryAfter},
		{now.Add(time.Minute).Format(time.RFC850), time.Minute}, // obsolete forms of §5.6.7
		{now.Add(time.Minute).Format(time.ANSIC), time.Minute},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, parseRetryAfter(tt.in, now), "parseRetryAfter(%q)", tt.in)
	}
}

func TestErrorHeaderDropsCredentials(t *testing.T) {
	in := http.Header{
		"Set-Cookie":       {"session=abc"},
		"Set-Cookie2":      {"old=abc"},
		"Authorization":    {"Bearer abc"},
		"Www-Authenticate": {`Bearer error="invalid_token"`},
		"Retry-After":      {"5"},
	}
	out := errorHeader(in)
	assert.Equal(t, http.Header{
		"Www-Authenticate": {`Bearer error="invalid_token"`},
		"Retry-After":      {"5"},
	}, out)
	out["Retry-After"][0] = "changed"
	assert.Equal(t, "5", in.Get("Retry-After"), "the error's header must be a copy")
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ws://example.com/feed", "ws://example.com/feed"},
		{"wss://user:pw@example.com:8443/feed?token=abc#x", "wss://example.com:8443/feed?[redacted]"},
		{"ws://example.com/?", "ws://example.com/?[redacted]"},
		{"ws://[::1]:80/a%2Fb", "ws://[::1]:80/a%2Fb"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.want, redactURL(u))
	}
}
