package transport

import (
	"context"
	"net"
	"sync"
	"syscall"
	"time"
)

// WriteProgress returns a count that moves whenever the peer takes more of
// what this side wrote, for a liveness check to tell a slow link that is
// moving from a dead one (heartbeat.Options.Progress). BytesWritten stops
// moving once the last write has been handed to the kernel, while the
// kernel's send buffer (up to several MiB) may still be crossing a slow
// link for many seconds; a check that saw only BytesWritten would call the
// link dead during that tail. So on Linux, over TCP (and TLS over TCP),
// WriteProgress is BytesWritten minus what the kernel still holds
// unacknowledged (SIOCOUTQ), which keeps moving as the peer's TCP
// acknowledges the tail, and stops when the peer stops reading or is
// gone. Elsewhere, or over a connection that is not a socket, it is
// BytesWritten. Compare values for change, not order: over TLS the two
// counts are of plaintext and ciphertext, so a write may lower it a
// little. It costs one system call on Linux; safe for concurrent use.
func (c *Conn) WriteProgress() uint64 {
	n, _ := c.WriteAcked()
	return n
}

// WriteAcked returns how many of the bytes written (BytesWritten) the
// peer's TCP has acknowledged, and true, when the kernel can tell (Linux,
// over TCP or TLS over TCP); otherwise BytesWritten and false. With it a
// liveness check knows when the peer has a ping it wrote: once WriteAcked
// reaches the BytesWritten read just after the ping, the pong is due
// (heartbeat.Options.Sent). Over TLS the acknowledged count is estimated
// from ciphertext, so it may trail the truth by the records' overhead
// until the queue drains. One system call on Linux; safe for concurrent
// use.
func (c *Conn) WriteAcked() (uint64, bool) {
	written := c.written.Load()
	rc := c.rawConn()
	if rc == nil {
		return written, false
	}
	q, ok := unacked(rc)
	if !ok {
		return written, false
	}
	return written - min(q, written), true
}

// PingSpan is Ping that also reports where the ping went in the stream
// that BytesWritten counts: the write that carried it began at start and
// ended, with the ping's last byte, at end. What lies between start and
// the ping's first byte was waiting in the write buffer (WriteBuffered).
// A peer that answers the ping has read every byte through end, so its
// TCP has acknowledged them: a liveness check that matches pongs to pings
// knows then, without asking the kernel, that nothing is unacknowledged
// for as long as BytesWritten stays at end (heartbeat.SpanPinger). Over
// TLS the counts are of plaintext, as BytesWritten's are. Safe for
// concurrent use.
func (c *Conn) PingSpan(ctx context.Context, payload []byte) (start, end uint64, err error) {
	if len(payload) > MaxControlPayload {
		return 0, 0, errControlTooLong
	}
	w := &c.wr
	if err := acquireFrame(ctx, w.frameSem, c.writeTimeout); err != nil {
		return 0, 0, err
	}
	defer release(w.frameSem)
	if err := ctx.Err(); err != nil {
		return 0, 0, err // nothing of it written: see acquireTurn
	}
	// Every write holds the frame lock, so no other bytes can come
	// between these loads and the ping.
	start = c.written.Load()
	err = w.frameLocked(ctx, Header{Fin: true, Opcode: OpPing}, payload, true, c.writeTimeout)
	return start, c.written.Load(), err
}

// TryPingSpan is PingSpan for a caller that must not wait and knows where
// the connection's writes stand: it sends the ping only if BytesWritten is
// still start (nothing written since; a liveness check knows the peer has
// acknowledged everything up to there), no other write holds the
// connection and nothing is buffered, over a plain TCP or Unix socket
// whose kernel takes the frame at once. Then it reports sent and where the
// ping's last byte went (the write began at start). Otherwise it sends
// nothing and reports false, and the caller sends with PingSpan.
//
// It exists for the heartbeat of an idle connection (heartbeat.TryPinger):
// a ping sent this way needs no context and no deadline, so it costs one
// system call and no timer or context at all. The payload is only read
// during the call. Should the kernel take part of the frame, the rest must
// follow, and it is written within timeout (the ping's own), or the
// connection fails; with nothing unacknowledged the send buffer is empty,
// and it takes a control frame whole. Safe for concurrent use.
func (c *Conn) TryPingSpan(payload []byte, start uint64, timeout time.Duration) (end uint64, sent bool, err error) {
	if len(payload) > MaxControlPayload {
		return 0, false, errControlTooLong
	}
	w := &c.wr
	if !w.frameSem.tryAcquire() {
		return 0, false, nil
	}
	defer release(w.frameSem)
	// Under the frame lock nothing else can be written, so the check
	// holds through the write. A closed or closing connection is left to
	// PingSpan, which reports why.
	if c.written.Load() != start || len(w.buf) > 0 || c.writeErr() != nil || c.closeSent.Load() {
		return 0, false, nil
	}
	b := w.encodeControl(Header{Fin: true, Opcode: OpPing}, payload)
	n := w.tryWrite(b)
	if n == 0 {
		return 0, false, nil
	}
	if n < len(b) {
		if err := w.finishControl(context.Background(), b[n:], timeout); err != nil {
			return 0, true, err
		}
	}
	return c.written.Load(), true, nil
}

// rawConn returns the socket beneath c.nc, through TLS, or nil. It is
// looked up on first use, so connections that never ask pay nothing.
func (c *Conn) rawConn() syscall.RawConn {
	c.rawOnce.Do(func() {
		nc := c.nc
		for {
			u, ok := nc.(interface{ NetConn() net.Conn })
			if !ok {
				break
			}
			nc = u.NetConn()
		}
		if sc, ok := nc.(syscall.Conn); ok {
			if rc, err := sc.SyscallConn(); err == nil {
				c.raw = rc
			}
		}
	})
	return c.raw
}

// rawState is the lazily found socket of WriteProgress.
type rawState struct {
	rawOnce sync.Once
	raw     syscall.RawConn
}
