package wstest

import (
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// recordReceived adds a message to the record and returns it with the
// faults it makes due.
func (s *Server) recordReceived(c *Conn, typ transport.MessageType, p []byte) (Message, []Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.info.Received++
	m := Message{Conn: c.ordinal, Index: c.info.Received, Type: typ, Data: p, Time: time.Now()}
	s.msgs = append(s.msgs, m)
	s.notifyLocked()
	return m, c.dueLocked()
}

// countSent adds delta to the count of messages sent, which includes the
// one being written.
func (s *Server) countSent(c *Conn, delta int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.info.Sent += delta
	s.sent += delta
	s.notifyLocked()
}

// recordWritten notes that a message is fully written and returns the
// faults that makes due.
func (s *Server) recordWritten(c *Conn) []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.written++
	return c.dueLocked()
}

// recordStall marks a connection stalled.
func (s *Server) recordStall(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.info.Stalled = true
	s.notifyLocked()
}

// connEnded records the end of a connection, once all its goroutines have
// ended.
func (s *Server) connEnded(c *Conn, cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.info.Live = false
	c.info.Closed = time.Now()
	c.info.Err = cause
	s.live--
	s.notifyLocked()
	s.log.Debug("wstest: connection ended", "conn", c.ordinal, "code", transport.CloseStatus(cause))
}
