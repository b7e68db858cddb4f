package transport

import (
	"net"
	"sync"
	"syscall"
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
	written := c.written.Load()
	rc := c.rawConn()
	if rc == nil {
		return written
	}
	q, ok := unacked(rc)
	if !ok {
		return written
	}
	return written - min(q, written)
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
