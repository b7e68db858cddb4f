package transport

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tcpPair returns the two ends of a loopback TCP connection, closed when
// the test ends.
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	r := <-ch
	require.NoError(t, r.err)
	t.Cleanup(func() { a.Close(); r.c.Close() })
	return a, r.c
}

// connPair returns a client and a server Conn joined over loopback TCP,
// without an opening handshake.
func connPair(t testing.TB, client, server connConfig) (*Conn, *Conn) {
	t.Helper()
	a, b := tcpPair(t)
	client.nc, client.client = a, true
	server.nc, server.client = b, false
	cc, sc := newConn(client), newConn(server)
	t.Cleanup(func() { cc.CloseNow(); sc.CloseNow() })
	return cc, sc
}

// rawServer returns a client Conn whose peer is a raw TCP connection, for
// feeding it hand-made frames.
func rawServer(t testing.TB, cfg connConfig) (*Conn, net.Conn) {
	t.Helper()
	a, b := tcpPair(t)
	cfg.nc, cfg.client = a, true
	c := newConn(cfg)
	t.Cleanup(func() { c.CloseNow() })
	return c, b
}

// frameBytes encodes one frame; masked frames get a fixed key so tests are
// reproducible.
func frameBytes(fin bool, rsv byte, op Opcode, masked bool, payload []byte) []byte {
	h := Header{Fin: fin, Rsv: rsv, Opcode: op, Masked: masked, Length: int64(len(payload))}
	if masked {
		h.Mask = [4]byte{0x37, 0xfa, 0x21, 0x3d}
	}
	var hb [MaxHeaderSize]byte
	n := PutHeader(hb[:], h)
	out := append(hb[:n:n], payload...)
	if masked {
		maskBytes(h.Mask, 0, out[n:])
	}
	return out
}

// readFrame reads one frame from a raw connection, unmasking it.
func readFrame(t testing.TB, br *bufio.Reader) (Header, []byte) {
	t.Helper()
	b, err := br.Peek(2)
	require.NoError(t, err)
	hb := make([]byte, HeaderSize(b[0], b[1]))
	_, err = io.ReadFull(br, hb)
	require.NoError(t, err)
	h, _, err := ParseHeader(hb)
	require.NoError(t, err)
	p := make([]byte, h.Length)
	_, err = io.ReadFull(br, p)
	require.NoError(t, err)
	if h.Masked {
		maskBytes(h.Mask, 0, p)
	}
	return h, p
}

// memConn is an in-memory net.Conn: reads come from a fixed input, writes
// are kept. It lets fuzz targets and benchmarks drive a Conn without a
// socket. With no input, reads wait for Close, like a silent peer's.
type memConn struct {
	mu     sync.Mutex
	in     io.Reader
	out    bytes.Buffer
	closed bool
	done   chan struct{} // closed by Close; made on first use
}

func (m *memConn) Read(p []byte) (int, error) {
	m.mu.Lock()
	closed := m.closed
	if m.done == nil {
		m.done = make(chan struct{})
	}
	done := m.done
	m.mu.Unlock()
	if closed {
		return 0, net.ErrClosed
	}
	if m.in == nil {
		<-done
		return 0, net.ErrClosed
	}
	return m.in.Read(p)
}

func (m *memConn) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, net.ErrClosed
	}
	return m.out.Write(p)
}

func (m *memConn) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		if m.done != nil {
			close(m.done)
		}
	}
	return nil
}

func (m *memConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (m *memConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (m *memConn) SetDeadline(t time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(t time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(t time.Time) error { return nil }

// discardConn is a net.Conn whose writes vanish, for write benchmarks.
type discardConn struct{ memConn }

func (d *discardConn) Write(p []byte) (int, error) { return len(p), nil }

// repeatReader yields the same bytes forever, for read benchmarks.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.data[r.off:])
		n += k
		r.off = (r.off + k) % len(r.data)
	}
	return n, nil
}

// expectClose reads the next frame the client sent and requires it to be
// a masked close frame carrying code.
func expectClose(t testing.TB, br *bufio.Reader, code StatusCode, msgAndArgs ...any) {
	t.Helper()
	h, p := readFrame(t, br)
	require.Equal(t, OpClose, h.Opcode, msgAndArgs...)
	require.True(t, h.Masked, "client frames are masked")
	got, _, err := ParseClosePayload(p)
	require.NoError(t, err)
	require.Equal(t, code, got, msgAndArgs...)
}

// send writes frames to a raw peer connection.
func send(t testing.TB, raw net.Conn, frames ...[]byte) {
	t.Helper()
	_, err := raw.Write(bytes.Join(frames, nil))
	require.NoError(t, err)
}
