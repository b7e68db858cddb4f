package wstest

import (
	"net"
	"sync"
	"time"
)

// SetReadRate limits how fast the server reads from each connection, in
// bytes per second, from now on and for the connections already open;
// zero or less lifts the limit. See Options.ReadRate.
func (s *Server) SetReadRate(bytesPerSecond int64) {
	s.rate.Store(max(bytesPerSecond, 0))
	s.log.Debug("wstest: read rate", "bytes_per_second", bytesPerSecond)
}

// throttle wraps a TCP connection so that its reads follow the server's
// read rate.
func (s *Server) throttle(nc net.Conn) net.Conn {
	return &throttledConn{Conn: nc, srv: s, done: make(chan struct{})}
}

// throttleSlices is how many reads a second of throttled traffic is cut
// into: each read takes at most rate/throttleSlices bytes, so the bytes
// arrive as a steady trickle (16 KiB every 62.5 ms at 256 KiB/s) rather
// than in bursts a second apart.
const throttleSlices = 16

// throttledConn paces the reads of one connection: after reading n bytes
// at rate r, the next read waits until n/r seconds after the previous one
// was allowed. Reads are made by the connection's one reading goroutine;
// mu only guards against a second one.
type throttledConn struct {
	net.Conn
	srv *Server

	mu   sync.Mutex
	next time.Time // when the next read may start

	closeOnce sync.Once
	done      chan struct{} // closed by Close: a paced read stops waiting
}

func (t *throttledConn) Read(p []byte) (int, error) {
	rate := t.srv.rate.Load()
	if rate <= 0 {
		return t.Conn.Read(p)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if wait := time.Until(t.next); wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-t.done:
			timer.Stop()
			return 0, net.ErrClosed
		}
	}
	if chunk := int(max(rate/throttleSlices, 1)); len(p) > chunk {
		p = p[:chunk]
	}
	n, err := t.Conn.Read(p)
	now := time.Now()
	if t.next.Before(now) {
		t.next = now
	}
	t.next = t.next.Add(time.Duration(float64(n) / float64(rate) * float64(time.Second)))
	return n, err
}

func (t *throttledConn) Close() error {
	t.closeOnce.Do(func() { close(t.done) })
	return t.Conn.Close()
}

// tcpConn returns the TCP connection beneath nc, for socket options.
func tcpConn(nc net.Conn) (*net.TCPConn, bool) {
	if t, ok := nc.(*throttledConn); ok {
		nc = t.Conn
	}
	tcp, ok := nc.(*net.TCPConn)
	return tcp, ok
}
