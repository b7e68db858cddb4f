package wstest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// responseWriteTimeout bounds the write of a refusal, so a client that
// stops reading cannot hold a handshake goroutine.
const responseWriteTimeout = 5 * time.Second

// responseWriter is the http.ResponseWriter that transport.Accept answers
// through. The server reads one request per TCP connection and answers it
// itself rather than running net/http's server: that way it owns, and Close
// waits for, every goroutine that touches a connection, and a refusal is
// always followed by closing the connection, as a client retrying from
// scratch expects.
type responseWriter struct {
	nc     net.Conn
	br     *bufio.Reader // what the request was read with; may hold early frames
	header http.Header
	status int
	body   bytes.Buffer
	// onHijack runs when Accept takes over the connection, just before the
	// 101 is written: the server registers the connection there, so it is
	// in the record before the client can see it open.
	onHijack func() error
}

func newResponseWriter(nc net.Conn, br *bufio.Reader) *responseWriter {
	return &responseWriter{nc: nc, br: br, header: make(http.Header)}
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Hijack hands the connection to transport.Accept.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.onHijack != nil {
		if err := w.onHijack(); err != nil {
			return nil, nil, err
		}
	}
	return w.nc, bufio.NewReadWriter(w.br, bufio.NewWriter(w.nc)), nil
}

// refuse fills the response from a Rejection.
func (w *responseWriter) refuse(rej *Rejection) {
	for k, vs := range rej.Header {
		for _, v := range vs {
			w.header.Add(k, v)
		}
	}
	body := rej.Body
	if body == "" {
		body = http.StatusText(rej.Status)
	}
	if w.header.Get("Content-Type") == "" {
		w.header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(rej.Status)
	w.body.WriteString(body)
}

// flush writes the buffered response, which always ends the connection.
func (w *responseWriter) flush() error {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	w.header.Set("Content-Length", strconv.Itoa(w.body.Len()))
	w.header.Set("Connection", "close")
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = w.header.Write(&b)
	b.WriteString("\r\n")
	b.Write(w.body.Bytes())
	_ = w.nc.SetWriteDeadline(time.Now().Add(responseWriteTimeout))
	_, err := w.nc.Write(b.Bytes())
	return err
}
