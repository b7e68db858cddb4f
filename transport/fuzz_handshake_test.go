package transport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"
)

// FuzzHandshakeResponse feeds arbitrary bytes to the handshake response
// parser and to what Dial does with its result. Any input must end in a
// head or in one of the parser's typed errors, never a panic; a head must
// respect the limits and leave every byte after it unread; and the result
// must not depend on the size of the read buffer.
//
// The committed corpus is in testdata/fuzz/FuzzHandshakeResponse.
func FuzzHandshakeResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x05hello"))
	f.Add([]byte("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 4\r\n\r\nslow"))
	f.Add([]byte("HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbusy\r\n0\r\n\r\n"))
	f.Add([]byte("HTTP/1.0 200\nA: 1\n 2\n\n"))

	small := headLimits{bytes: 256, fields: 4}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := parseWith(t, data, 4096, testLimits)
		h16, err16 := parseWith(t, data, 16, testLimits)
		if (err == nil) != (err16 == nil) || (err == nil && !sameHead(h, h16)) {
			t.Fatalf("buffer size changed the result: %v / %v", err, err16)
		}
		_, _ = parseWith(t, data, 16, small)
		if err != nil {
			return
		}

		// What Dial does with a head must hold up as well.
		br := bufio.NewReaderSize(bytes.NewReader(data[h.size:]), 64)
		body := readErrorBody(context.Background(), &memConn{in: bytes.NewReader(nil)}, br, h)
		if len(body) > maxErrorBody {
			t.Fatalf("error body of %d bytes", len(body))
		}
		if d := parseRetryAfter(h.header.Get("Retry-After"), time.Unix(1e9, 0)); d < 0 || d > maxRetryAfter {
			t.Fatalf("Retry-After gave %v", d)
		}
		sub, problem := checkUpgrade(h, testKey, []string{"chat"})
		if problem == "" && sub != "" && sub != "chat" {
			t.Fatalf("accepted subprotocol %q that was not offered", sub)
		}
		if eh := errorHeader(h.header); eh.Get("Set-Cookie") != "" {
			t.Fatal("Set-Cookie kept in the error header")
		}
	})
}

// parseWith parses data through a reader of the given buffer size and
// checks the invariants of the result.
func parseWith(t *testing.T, data []byte, bufSize int, lim headLimits) (*responseHead, error) {
	br := bufio.NewReaderSize(bytes.NewReader(data), bufSize)
	h, err := readResponseHead(br, lim)
	if err != nil {
		if !errors.Is(err, ErrMalformedResponse) && !errors.Is(err, ErrResponseTooLarge) &&
			!errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("untyped error %v", err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) && len(data) > lim.bytes {
			t.Fatalf("read past the %d-byte limit to the end of %d bytes", lim.bytes, len(data))
		}
		return nil, err
	}
	if h.major != 1 || h.minor < 0 || h.minor > 9 || h.status < 100 || h.status > 999 {
		t.Fatalf("bad status line: HTTP/%d.%d %d", h.major, h.minor, h.status)
	}
	if !isFieldValue(h.reason) {
		t.Fatalf("reason %q holds a control character", h.reason)
	}
	if h.size > lim.bytes || h.size > len(data) {
		t.Fatalf("head size %d over the limit %d or the input %d", h.size, lim.bytes, len(data))
	}
	rest, _ := io.ReadAll(br)
	if !bytes.Equal(rest, data[h.size:]) {
		t.Fatalf("bytes after the head were lost: got %q, want %q", rest, data[h.size:])
	}
	n := 0
	for k, vs := range h.header {
		if !isToken(k) || k != http.CanonicalHeaderKey(k) {
			t.Fatalf("header name %q not a canonical token", k)
		}
		for _, v := range vs {
			n++
			if !isFieldValue(v) || len(trimOWS([]byte(v))) != len(v) {
				t.Fatalf("header value %q not trimmed or holds a control character", v)
			}
		}
	}
	if n > lim.fields {
		t.Fatalf("%d header fields, limit %d", n, lim.fields)
	}
	return h, nil
}

func sameHead(a, b *responseHead) bool {
	return a.major == b.major && a.minor == b.minor && a.status == b.status &&
		a.reason == b.reason && a.size == b.size &&
		maps.EqualFunc(a.header, b.header, slices.Equal)
}
