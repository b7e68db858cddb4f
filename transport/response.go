package transport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Limits on the status line and header of a handshake (or proxy CONNECT)
// response. A server that needs more is either broken or hostile, and
// reading without a bound would let it exhaust the client's memory.
const (
	// maxResponseHeadBytes bounds the status line and all header lines,
	// line endings included.
	maxResponseHeadBytes = 16 << 10
	// maxResponseFields bounds the number of header lines.
	maxResponseFields = 128
)

// responseHead is the status line and header of an HTTP/1.x response.
type responseHead struct {
	major, minor int
	status       int
	reason       string
	header       http.Header
	// size is the number of bytes the head took on the wire, up to and
	// including the empty line that ends it.
	size int
}

// headLimits bounds readResponseHead. Dial uses the constants above; tests
// shrink them to reach the limits cheaply.
type headLimits struct {
	bytes  int
	fields int
}

// readResponseHead reads a response's status line and header from br and
// leaves br positioned at the first byte after the empty line, so whatever
// the server sent behind the head (WebSocket frames after a 101, a body
// after an error) is still in br.
//
// It is stricter than net/http where leniency buys nothing: no obs-fold
// continuation lines, no whitespace before a colon, no control characters
// in values. A bare LF is accepted as a line end, as RFC 9112 §2.2 allows.
func readResponseHead(br *bufio.Reader, lim headLimits) (*responseHead, error) {
	h, err := readHead(br, lim)
	if errors.Is(err, errOverBudget) {
		return nil, fmt.Errorf("%w: status line and header over %d bytes", ErrResponseTooLarge, lim.bytes)
	}
	return h, err
}

func readHead(br *bufio.Reader, lim headLimits) (*responseHead, error) {
	budget := lim.bytes
	line, err := readLine(br, &budget)
	if err != nil {
		return nil, err
	}
	h := &responseHead{header: make(http.Header)}
	if err := parseStatusLine(line, h); err != nil {
		return nil, err
	}
	for fields := 0; ; fields++ {
		line, err := readLine(br, &budget)
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			break
		}
		if fields == lim.fields {
			return nil, fmt.Errorf("%w: more than %d header fields", ErrResponseTooLarge, lim.fields)
		}
		if err := parseField(line, h.header); err != nil {
			return nil, err
		}
	}
	h.size = lim.bytes - budget
	return h, nil
}

// errOverBudget is readLine's report that the head outgrew its byte limit;
// readResponseHead turns it into ErrResponseTooLarge with the limit named.
var errOverBudget = errors.New("over budget")

// readLine returns the next line from br without its line ending. The
// returned slice may point into br's buffer: it is valid until the next
// read. budget is the number of bytes the head may still take; readLine
// charges the line to it.
func readLine(br *bufio.Reader, budget *int) ([]byte, error) {
	var long []byte // a line longer than br's buffer, gathered in pieces
	for {
		frag, err := br.ReadSlice('\n')
		if len(frag) > *budget {
			return nil, errOverBudget
		}
		*budget -= len(frag)
		switch {
		case err == nil:
		case errors.Is(err, bufio.ErrBufferFull):
			long = append(long, frag...)
			continue
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("reading handshake response: %w", io.ErrUnexpectedEOF)
		default:
			return nil, fmt.Errorf("reading handshake response: %w", err)
		}
		line := frag
		if long != nil {
			line = append(long, frag...)
		}
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, nil
	}
}

// parseStatusLine parses "HTTP/1.1 101 Switching Protocols". The reason
// phrase is optional (RFC 9112 §4), and so is the space before an empty one.
func parseStatusLine(line []byte, h *responseHead) error {
	const prefix = "HTTP/"
	bad := fmt.Errorf("%w: invalid status line", ErrMalformedResponse)
	if len(line) < len("HTTP/1.1 101") || string(line[:len(prefix)]) != prefix {
		return bad
	}
	p := line[len(prefix):]
	if !isDigit(p[0]) || p[1] != '.' || !isDigit(p[2]) || p[3] != ' ' {
		return bad
	}
	h.major, h.minor = int(p[0]-'0'), int(p[2]-'0')
	if h.major != 1 {
		return fmt.Errorf("%w: HTTP version %d.%d is not 1.x", ErrMalformedResponse, h.major, h.minor)
	}
	p = p[4:]
	if !isDigit(p[0]) || !isDigit(p[1]) || !isDigit(p[2]) || p[0] == '0' {
		return bad
	}
	h.status = int(p[0]-'0')*100 + int(p[1]-'0')*10 + int(p[2]-'0')
	p = p[3:]
	if len(p) > 0 {
		if p[0] != ' ' || !isFieldValue(p[1:]) {
			return bad
		}
		h.reason = string(p[1:])
	}
	return nil
}

// parseField parses one "Name: value" line into hdr. Whitespace around the
// value is dropped; whitespace before the colon is an error (RFC 9112 §5.1),
// and so is a line that starts with whitespace (obs-fold, §5.2).
func parseField(line []byte, hdr http.Header) error {
	i := 0
	for i < len(line) && line[i] != ':' {
		i++
	}
	if i == len(line) || i == 0 || !isToken(line[:i]) {
		return fmt.Errorf("%w: invalid header field", ErrMalformedResponse)
	}
	v := trimOWS(line[i+1:])
	if !isFieldValue(v) {
		return fmt.Errorf("%w: invalid header field value", ErrMalformedResponse)
	}
	key := http.CanonicalHeaderKey(string(line[:i]))
	hdr[key] = append(hdr[key], string(v))
	return nil
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isToken reports whether b is an RFC 9110 §5.6.2 token, the syntax of
// header names and of subprotocol names (RFC 6455 §4.1).
func isToken[T string | []byte](b T) bool {
	if len(b) == 0 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if !isTokenChar(b[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', isDigit(c):
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// isFieldValue reports whether b may appear in a header value: no control
// characters except horizontal tab (RFC 9110 §5.5). Rejecting CR and LF is
// what keeps a caller's value from splitting the request.
func isFieldValue[T string | []byte](b T) bool {
	for i := 0; i < len(b); i++ {
		if c := b[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// response converts the head into the *http.Response Dial returns. body is
// what was read of the body (only for a rejected handshake); the rest of
// the body, if any, stays unread.
func (h *responseHead) response(body []byte) *http.Response {
	resp := &http.Response{
		Status:        strconv.Itoa(h.status) + " " + h.reason,
		StatusCode:    h.status,
		Proto:         "HTTP/1." + strconv.Itoa(h.minor),
		ProtoMajor:    h.major,
		ProtoMinor:    h.minor,
		Header:        h.header,
		Body:          http.NoBody,
		ContentLength: int64(len(body)),
	}
	if len(body) > 0 {
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	return resp
}
