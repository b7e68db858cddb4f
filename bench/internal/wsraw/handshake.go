package wsraw

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// guid is the key suffix of RFC 6455 §1.3.
const guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// ErrHandshake reports an opening handshake the framer does not accept.
var ErrHandshake = errors.New("wsraw: bad handshake")

// AcceptKey computes Sec-WebSocket-Accept for key.
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(key + guid))
	return base64.StdEncoding.EncodeToString(h[:])
}

// ClientHandshake writes a GET for target (path and query) on nc and reads
// the server's answer from br, which must be the reader the Conn will use
// afterwards (the server may send frames right behind its 101).
func ClientHandshake(nc net.Conn, br *bufio.Reader, host, target string) error {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	req := "GET " + target + " HTTP/1.1\r\nHost: " + host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		return err
	}
	status, hdr, err := readHead(br)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(status, "HTTP/1.1 101") {
		return fmt.Errorf("%w: status %q", ErrHandshake, status)
	}
	if hdr["sec-websocket-accept"] != AcceptKey(key) {
		return fmt.Errorf("%w: wrong Sec-WebSocket-Accept", ErrHandshake)
	}
	return nil
}

// ServerHandshake reads a request head from br, answers 101 on w and
// returns the request target (path and query). It checks only what it
// needs: the key.
func ServerHandshake(br *bufio.Reader, w io.Writer) (string, error) {
	return ServerHandshakeExt(br, w, nil)
}

// ServerHandshakeExt is ServerHandshake with an extension: ext (when not
// nil) gets the target and the client's Sec-WebSocket-Extensions and
// returns the value to answer with, "" for none.
func ServerHandshakeExt(br *bufio.Reader, w io.Writer, ext func(target, offer string) string) (string, error) {
	line, hdr, err := readHead(br)
	if err != nil {
		return "", err
	}
	parts := strings.Fields(line)
	if len(parts) != 3 || parts[0] != "GET" {
		return "", fmt.Errorf("%w: request line %q", ErrHandshake, line)
	}
	key := hdr["sec-websocket-key"]
	if key == "" {
		return "", fmt.Errorf("%w: no key", ErrHandshake)
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		AcceptKey(key) + "\r\n"
	if ext != nil {
		if v := ext(parts[1], hdr["sec-websocket-extensions"]); v != "" {
			resp += "Sec-WebSocket-Extensions: " + v + "\r\n"
		}
	}
	resp += "\r\n"
	_, err = io.WriteString(w, resp)
	return parts[1], err
}

// readHead reads an HTTP head: the first line and the header fields, keyed
// by lower-case name (the last value wins; the benchmark needs no more).
func readHead(br *bufio.Reader) (string, map[string]string, error) {
	first := ""
	hdr := make(map[string]string, 8)
	for i := 0; ; i++ {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return "", nil, noEOF(err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if i == 0 {
			first = string(line)
			continue
		}
		if len(line) == 0 {
			return first, hdr, nil
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return "", nil, fmt.Errorf("%w: header line %q", ErrHandshake, line)
		}
		hdr[strings.ToLower(string(bytes.TrimSpace(k)))] = string(bytes.TrimSpace(v))
	}
}
