package interop

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// peer is the hostile server's side of one connection: it reads the
// client's handshake and frames by hand and writes whatever a row tells it
// to, well-formed or not.
type peer struct {
	nc  net.Conn
	br  *bufio.Reader
	req *http.Request
	// pongs holds the payloads of pongs read while looking for something
	// else, in order, for expectPong.
	pongs [][]byte
	// masks holds every masking key the client used, to check that they
	// vary (RFC 6455 §5.3).
	masks [][4]byte
}

// rowDeadline bounds everything one row's server does; a client that
// hangs instead of answering makes the row fail when it passes, rather
// than the test binary time out.
const rowDeadline = 20 * time.Second

func newPeer(nc net.Conn) *peer {
	_ = nc.SetDeadline(time.Now().Add(rowDeadline))
	return &peer{nc: nc, br: bufio.NewReaderSize(nc, 64<<10)}
}

// readRequest reads the client's opening handshake and checks what
// RFC 6455 §4.1 requires a client to send.
func (p *peer) readRequest() error {
	req, err := http.ReadRequest(p.br)
	if err != nil {
		return fmt.Errorf("reading handshake request: %w", err)
	}
	p.req = req
	switch {
	case req.Method != http.MethodGet:
		return fmt.Errorf("request method %q, want GET", req.Method)
	case req.ProtoMajor != 1 || req.ProtoMinor < 1:
		return fmt.Errorf("request protocol %s, want HTTP/1.1", req.Proto)
	case req.Host == "":
		return errors.New("request has no Host")
	case !strings.EqualFold(req.Header.Get("Upgrade"), "websocket"):
		return fmt.Errorf("Upgrade %q, want websocket", req.Header.Get("Upgrade"))
	case !hasToken(req.Header.Values("Connection"), "upgrade"):
		return fmt.Errorf("Connection %q lacks upgrade", req.Header.Values("Connection"))
	case req.Header.Get("Sec-WebSocket-Version") != "13":
		return fmt.Errorf("Sec-WebSocket-Version %q, want 13", req.Header.Get("Sec-WebSocket-Version"))
	}
	key, err := base64.StdEncoding.DecodeString(req.Header.Get("Sec-WebSocket-Key"))
	if err != nil || len(key) != 16 {
		return fmt.Errorf("Sec-WebSocket-Key %q is not base64 of 16 bytes", req.Header.Get("Sec-WebSocket-Key"))
	}
	return nil
}

// accept computes Sec-WebSocket-Accept for the client's key (§4.2.2).
func (p *peer) accept() string {
	sum := sha1.Sum([]byte(p.req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// respond writes a raw response head: the status line, the given header
// lines, and the blank line.
func (p *peer) respond(status string, lines ...string) error {
	var b strings.Builder
	b.WriteString("HTTP/1.1 " + status + "\r\n")
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	_, err := io.WriteString(p.nc, b.String())
	return err
}

// switching writes a correct 101 with extra header lines.
func (p *peer) switching(extra ...string) error {
	lines := append([]string{
		"Upgrade: websocket",
		"Connection: Upgrade",
		"Sec-WebSocket-Accept: " + p.accept(),
	}, extra...)
	return p.respond("101 Switching Protocols", lines...)
}

func hasToken(values []string, tok string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), tok) {
				return true
			}
		}
	}
	return false
}

// send writes frames, each with its own write call.
func (p *peer) send(frames ...[]byte) error {
	for _, f := range frames {
		if _, err := p.nc.Write(f); err != nil {
			return fmt.Errorf("writing to the client: %w", err)
		}
	}
	return nil
}

// sendChopped writes b in pieces of n bytes, one write call each, so that
// frame headers and payloads arrive split across reads.
func (p *peer) sendChopped(b []byte, n int) error {
	for len(b) > 0 {
		k := min(n, len(b))
		if _, err := p.nc.Write(b[:k]); err != nil {
			return fmt.Errorf("writing to the client: %w", err)
		}
		b = b[k:]
	}
	return nil
}

// clientFrame is a frame the client sent, unmasked.
type clientFrame struct {
	fin     bool
	rsv     byte
	op      byte
	payload []byte
}

// maxClientFrame bounds what the harness will read from a client frame.
const maxClientFrame = 32 << 20

// readFrame reads one frame from the client and unmasks it. A client
// frame that is not masked breaks §5.1 and is an error.
func (p *peer) readFrame() (clientFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(p.br, h[:]); err != nil {
		return clientFrame{}, err
	}
	f := clientFrame{fin: h[0]&0x80 != 0, rsv: h[0] >> 4 & 7, op: h[0] & 0xF}
	if h[1]&0x80 == 0 {
		return f, errors.New("client frame is not masked (RFC 6455 §5.1)")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var e [2]byte
		if _, err := io.ReadFull(p.br, e[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err := io.ReadFull(p.br, e[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	if n > maxClientFrame {
		return f, fmt.Errorf("client frame of %d bytes", n)
	}
	var key [4]byte
	if _, err := io.ReadFull(p.br, key[:]); err != nil {
		return f, err
	}
	p.masks = append(p.masks, key)
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(p.br, f.payload); err != nil {
		return f, err
	}
	unmask(f.payload, key)
	if f.rsv != 0 {
		return f, fmt.Errorf("client frame with RSV bits %03b and no extension", f.rsv)
	}
	return f, nil
}

// unmask XORs p with the repeating key (§5.3), eight bytes at a time:
// the byte loop is slow under the race detector for the 16 MiB rows.
func unmask(p []byte, key [4]byte) {
	k32 := binary.LittleEndian.Uint32(key[:])
	k64 := uint64(k32) | uint64(k32)<<32
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k64)
	}
	for ; i < len(p); i++ {
		p[i] ^= key[i&3]
	}
}

// message is a whole data message from the client.
type message struct {
	op      byte
	payload []byte
}

// readMessage reads the client's next data message, assembling its
// fragments. Pongs on the way are kept for expectPong; a close frame is
// returned as a *closedByClient error.
func (p *peer) readMessage() (message, error) {
	var m message
	started := false
	for {
		f, err := p.readFrame()
		if err != nil {
			return m, err
		}
		switch f.op {
		case opPong:
			p.pongs = append(p.pongs, f.payload)
			continue
		case opPing:
			return m, errors.New("client sent a ping; the echo client never pings")
		case opClose:
			return m, &closedByClient{payload: f.payload}
		case opText, opBinary:
			if started {
				return m, errors.New("client started a new message inside a fragmented one")
			}
			started = true
			m.op = f.op
		case opCont:
			if !started {
				return m, errors.New("client sent a continuation with no message")
			}
		default:
			return m, fmt.Errorf("client sent reserved opcode %#x", f.op)
		}
		m.payload = append(m.payload, f.payload...)
		if f.fin {
			return m, nil
		}
	}
}

// closedByClient reports a close frame where the harness wanted something
// else.
type closedByClient struct{ payload []byte }

func (e *closedByClient) Error() string {
	return "client sent close " + describeClose(e.payload)
}

func describeClose(b []byte) string {
	if len(b) < 2 {
		return fmt.Sprintf("with %d-byte payload", len(b))
	}
	return fmt.Sprintf("%d %q", binary.BigEndian.Uint16(b), b[2:])
}

// expectMessage reads the client's next message and compares it with
// (op, payload): the echo the client owes for what the harness sent.
func (p *peer) expectMessage(op byte, payload []byte) error {
	m, err := p.readMessage()
	if err != nil {
		return fmt.Errorf("want echo of %d-byte message (op %d): %w", len(payload), op, err)
	}
	if m.op != op {
		return fmt.Errorf("echo opcode %d, want %d", m.op, op)
	}
	if !bytes.Equal(m.payload, payload) {
		return fmt.Errorf("echo of %d bytes differs from the %d bytes sent", len(m.payload), len(payload))
	}
	return nil
}

// expectPong waits for a pong with payload (§5.5.3: the same payload as the
// ping), taking one already read first.
func (p *peer) expectPong(payload []byte) error {
	for len(p.pongs) == 0 {
		f, err := p.readFrame()
		if err != nil {
			return fmt.Errorf("want pong: %w", err)
		}
		switch f.op {
		case opPong:
			p.pongs = append(p.pongs, f.payload)
		case opClose:
			return fmt.Errorf("want pong: %w", &closedByClient{payload: f.payload})
		default:
			return fmt.Errorf("want pong, got opcode %d", f.op)
		}
	}
	got := p.pongs[0]
	p.pongs = p.pongs[1:]
	if !bytes.Equal(got, payload) {
		return fmt.Errorf("pong payload %q, want %q", got, payload)
	}
	return nil
}

// expectClose reads up to the client's close frame and checks its code:
// code 0 means an empty payload (no status). Pings and pongs before it
// are allowed; data frames are not.
func (p *peer) expectClose(code uint16) error {
	for {
		f, err := p.readFrame()
		if err != nil {
			return fmt.Errorf("want close frame with %d: %w", code, err)
		}
		switch f.op {
		case opPong, opPing:
			// Control frames may come before the close (§5.4).
			continue
		case opClose:
		default:
			return fmt.Errorf("want close frame with %d, got opcode %d (%d bytes)", code, f.op, len(f.payload))
		}
		if code == 0 {
			if len(f.payload) != 0 {
				return fmt.Errorf("close %s, want an empty close payload", describeClose(f.payload))
			}
			return nil
		}
		if len(f.payload) < 2 || binary.BigEndian.Uint16(f.payload) != code {
			return fmt.Errorf("close %s, want code %d", describeClose(f.payload), code)
		}
		return nil
	}
}

// expectEOF waits for the client to close the TCP connection, sending
// nothing more.
func (p *peer) expectEOF() error {
	var b [1]byte
	n, err := p.br.Read(b[:])
	if n > 0 {
		return fmt.Errorf("client sent byte %#x after it should have closed", b[0])
	}
	if errors.Is(err, io.EOF) || isReset(err) {
		return nil
	}
	return fmt.Errorf("want the client to close TCP: %w", err)
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && !oe.Timeout()
}

// closeNormally runs a server-initiated closing handshake with 1000: the
// client must echo the code (§5.5.1).
func (p *peer) closeNormally() error {
	if err := p.send(closeFrame(1000, "")); err != nil {
		return err
	}
	return p.expectClose(1000)
}

// echo sends frames that make up one message and expects it back.
func (p *peer) echo(op byte, payload []byte, frames ...[]byte) error {
	if err := p.send(frames...); err != nil {
		return err
	}
	return p.expectMessage(op, payload)
}
