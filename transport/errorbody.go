package transport

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http/httputil"
	"strconv"
	"time"
)

const (
	// maxErrorBody is how much of a rejection's body HandshakeError keeps:
	// enough for an error message or a JSON error object.
	maxErrorBody = 1 << 10
	// errorBodyTimeout bounds the wait for that body, so a server that
	// sends a status and then stalls cannot hold Dial until its timeout.
	errorBodyTimeout = time.Second
)

// readErrorBody reads the start of the body of a rejected handshake,
// following its framing (Content-Length, chunked, or until EOF). Errors are
// not reported: the status is the failure; the body is a courtesy.
func readErrorBody(ctx context.Context, nc net.Conn, br *bufio.Reader, h *responseHead) []byte {
	if h.status < 200 || h.status == 204 || h.status == 304 {
		return nil // RFC 9112 §6.3: these never have a body
	}
	var body io.Reader = br
	if hasToken(h.header.Values("Transfer-Encoding"), "chunked") {
		body = httputil.NewChunkedReader(br)
	} else if cl := h.header.Get("Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			return nil
		}
		body = io.LimitReader(br, n)
	}
	dl := time.Now().Add(errorBodyTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	// Once ctx is done, watchContext has put the deadline in the past;
	// moving it back to the future would undo the cancellation.
	if ctx.Err() == nil {
		_ = nc.SetReadDeadline(dl)
	}
	buf := make([]byte, maxErrorBody)
	n, _ := io.ReadFull(io.LimitReader(body, maxErrorBody), buf)
	if n == 0 {
		return nil
	}
	return buf[:n:n]
}
