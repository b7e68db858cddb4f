package interop

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"
)

// The soak's client-side wire recorder. The server only sees when a
// message arrived, after the toxics have delayed it; whether the client
// wrote a message it should have expired can only be told at the client's
// socket. So the soak's client dials through wireConn, which reads the
// client's own frames back out of its Writes and notes when each numbered
// message was handed to the socket.

// maxWireFrame bounds a frame the recorder will buffer: the soak's
// messages are "N:UNIXNANO", a few dozen bytes, so anything near this is a
// framing error, not a message.
const maxWireFrame = 1 << 20

// wireWrite is what the recorder saw of one message number.
type wireWrite struct {
	sent   time.Time // the time stamp in the message: just before Send
	latest time.Time // when the last Write carrying its first byte began
	count  int       // how many times it was written, across connections
}

// wireLog collects, over all of a soak's connections, every data message
// the client wrote, and the framing errors met on the way.
type wireLog struct {
	mu     sync.Mutex
	writes map[uint64]wireWrite
	errs   []error
}

func newWireLog() *wireLog { return &wireLog{writes: map[uint64]wireWrite{}} }

// wrap returns nc with its writes recorded in l.
func (l *wireLog) wrap(nc net.Conn) net.Conn {
	w := &wireConn{Conn: nc}
	w.p.message = l.message
	w.p.fail = l.fail
	return w
}

func (l *wireLog) message(at time.Time, payload []byte) {
	n, sent, ok := parseSoakMessage(payload)
	if !ok {
		l.fail(fmt.Errorf("client wrote a data message that is not a soak message: %q", payload))
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.writes[n]
	w.sent, w.latest = sent, at
	w.count++
	l.writes[n] = w
}

func (l *wireLog) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

// snapshot returns a copy of what was recorded.
func (l *wireLog) snapshot() (map[uint64]wireWrite, []error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := make(map[uint64]wireWrite, len(l.writes))
	for k, v := range l.writes {
		w[k] = v
	}
	return w, append([]error(nil), l.errs...)
}

// wireConn is a client connection whose writes are parsed as they go out.
type wireConn struct {
	net.Conn
	mu sync.Mutex // Writes are parsed in the order they reach the socket
	p  wireParser
}

// NetConn returns the socket beneath, as tls.Conn does, so the transport
// can still ask the kernel how much of what it wrote is acknowledged
// (transport.Conn.WriteProgress): without it the heartbeat would see a
// slow link's progress only in the bursts a full socket takes bytes in.
func (c *wireConn) NetConn() net.Conn { return c.Conn }

// Write stamps the time before handing p to the socket: that is when the
// client let go of the bytes; how long the kernel or the proxy then holds
// them is the network's doing, not the client's. Only the bytes the socket
// took are parsed.
func (c *wireConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at := time.Now()
	n, err := c.Conn.Write(p)
	c.p.feed(at, p[:n])
	return n, err
}

// wireParser reads a client's side of a WebSocket connection from the
// stream of its Writes: the HTTP upgrade request, then masked frames. A
// frame may be split across Writes and one Write may carry several frames,
// so it keeps what it has of an incomplete frame between calls. A data
// message is reported with the time of the Write that carried its first
// byte; control frames are skipped (they may come between fragments).
type wireParser struct {
	message func(at time.Time, payload []byte)
	fail    func(error)

	upgraded bool      // the request's blank line has been passed
	buf      []byte    // the start of an incomplete frame (or request)
	bufAt    time.Time // when the Write carrying buf[0] began
	frag     []byte    // unmasked payload of a fragmented message so far
	fragAt   time.Time
	inFrag   bool
	broken   bool // a framing error was reported; nothing after it is read
}

func (p *wireParser) feed(at time.Time, b []byte) {
	if p.broken || len(b) == 0 {
		return
	}
	if len(p.buf) == 0 {
		p.bufAt = at
	}
	p.buf = append(p.buf, b...)
	for {
		k, err := p.next()
		if err != nil {
			p.broken = true
			p.fail(err)
			return
		}
		if k == 0 {
			return
		}
		// What is left was completed by, so began in, this Write: any
		// earlier Write's bytes belonged to the unit just consumed.
		p.buf = append(p.buf[:0], p.buf[k:]...)
		p.bufAt = at
	}
}

// next consumes one unit (the request, or a frame) from the front of buf
// and returns its length, or 0 if buf does not hold a whole one yet.
func (p *wireParser) next() (int, error) {
	if !p.upgraded {
		i := bytes.Index(p.buf, []byte("\r\n\r\n"))
		if i < 0 {
			if len(p.buf) > maxWireFrame {
				return 0, fmt.Errorf("client wrote %d bytes without ending its upgrade request", len(p.buf))
			}
			return 0, nil
		}
		p.upgraded = true
		return i + 4, nil
	}
	b := p.buf
	if len(b) < 2 {
		return 0, nil
	}
	fin, rsv, op := b[0]&0x80 != 0, b[0]&0x70, b[0]&0x0f
	if b[1]&0x80 == 0 {
		return 0, fmt.Errorf("client wrote an unmasked frame (opcode %d)", op)
	}
	if rsv != 0 {
		return 0, fmt.Errorf("client set RSV bits %#x without an extension", rsv)
	}
	hdr, n := 2, uint64(b[1]&0x7f)
	switch n {
	case 126:
		if len(b) < 4 {
			return 0, nil
		}
		hdr, n = 4, uint64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		if len(b) < 10 {
			return 0, nil
		}
		hdr, n = 10, binary.BigEndian.Uint64(b[2:])
	}
	if n > maxWireFrame {
		return 0, fmt.Errorf("client frame of %d bytes (opcode %d): not a soak message", n, op)
	}
	end := hdr + 4 + int(n)
	if len(b) < end {
		return 0, nil
	}
	key := b[hdr : hdr+4]
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = b[hdr+4+i] ^ key[i%4]
	}
	switch {
	case op >= 8: // control: ping, pong, close
	case op == 1 || op == 2:
		if p.inFrag {
			return 0, fmt.Errorf("client began a data message (opcode %d) inside a fragmented one", op)
		}
		if fin {
			p.message(p.bufAt, payload)
		} else {
			p.inFrag, p.frag, p.fragAt = true, payload, p.bufAt
		}
	case op == 0:
		if !p.inFrag {
			return 0, fmt.Errorf("client wrote a continuation frame outside a message")
		}
		p.frag = append(p.frag, payload...)
		if fin {
			p.inFrag = false
			p.message(p.fragAt, p.frag)
		}
	default:
		return 0, fmt.Errorf("client wrote reserved opcode %d", op)
	}
	return end, nil
}
