package wstest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// serveTCP runs one TCP connection: it reads the handshake request, decides
// how to answer it and, once upgraded, becomes the connection's reader.
func (s *Server) serveTCP(r *run, nc net.Conn, at time.Time) {
	defer r.wg.Done()
	capped := &headCap{r: nc, left: maxRequestHead}
	br := bufio.NewReader(capped)
	req, err := http.ReadRequest(br)
	capped.left = -1 // what follows the head is the connection's frames
	if err != nil {
		// Not a handshake attempt: a port probe, or a client that gave up
		// (or the server closing) before its request arrived.
		s.untrack(nc)
		return
	}
	req.RemoteAddr = nc.RemoteAddr().String()
	attempt := s.recordAttempt(req, at)
	c := s.handshake(r, nc, br, req, attempt)
	if c == nil {
		s.untrack(nc)
		return
	}
	c.serve()
}

// maxRequestHead bounds a handshake request's head, so a client sending an
// endless header cannot make the server allocate without limit.
const maxRequestHead = 64 << 10

// errHeadTooLarge ends the read of a request head over maxRequestHead.
var errHeadTooLarge = errors.New("wstest: request head over 64 KiB")

// headCap reads from r, at most left bytes while left >= 0.
type headCap struct {
	r    io.Reader
	left int64
}

func (h *headCap) Read(p []byte) (int, error) {
	if h.left < 0 {
		return h.r.Read(p)
	}
	if h.left == 0 {
		return 0, errHeadTooLarge
	}
	if int64(len(p)) > h.left {
		p = p[:h.left]
	}
	n, err := h.r.Read(p)
	h.left -= int64(n)
	return n, err
}

// handshake answers the request: it holds, refuses or accepts it, and
// returns the accepted connection or nil.
func (s *Server) handshake(r *run, nc net.Conn, br *bufio.Reader, req *http.Request, attempt int) *Conn {
	if !s.hold(r.ctx) {
		return nil // the server is stopping; the attempt keeps status 0
	}
	route := s.behaviorFor(req.URL.Path)
	rej := s.takeRejection()
	if rej == nil && route.Check != nil {
		rej = route.Check(req)
	}
	w := newResponseWriter(nc, br)
	if rej != nil {
		w.refuse(rej)
		s.answered(attempt, rej.Status)
		_ = w.flush()
		return nil
	}

	var c *Conn
	w.onHijack = func() error {
		var err error
		c, err = s.register(r, nc, req, attempt, route)
		return err
	}
	tc, err := transport.Accept(w, req, &s.accept)
	if err != nil {
		if c != nil {
			// Registered, then the 101 could not be written: the
			// connection opened and ended at once.
			c.start(nil)
			return c
		}
		status := http.StatusInternalServerError
		var ae *transport.AcceptError
		if errors.As(err, &ae) {
			status = ae.StatusCode
		}
		s.answered(attempt, status)
		_ = w.flush()
		return nil
	}
	c.start(tc)
	return c
}

// recordAttempt adds a handshake attempt to the record and returns its
// number.
func (s *Server) recordAttempt(req *http.Request, at time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.attempts) + 1
	s.attempts = append(s.attempts, Handshake{
		Attempt: n,
		Time:    at,
		Path:    req.URL.Path,
		Header:  req.Header.Clone(),
	})
	s.notifyLocked()
	s.log.Debug("wstest: handshake", "attempt", n, "path", req.URL.Path)
	return n
}

// answered records the status of a refused attempt. It runs before the
// response is written, so a client that has seen the status finds it
// recorded.
func (s *Server) answered(attempt, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[attempt-1].Status = status
	s.notifyLocked()
	s.log.Debug("wstest: handshake refused", "attempt", attempt, "status", status)
}

// register records an accepted connection, just before its 101 is written.
func (s *Server) register(r *run, nc net.Conn, req *http.Request, attempt int, route Behavior) (*Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || s.run != r {
		return nil, ErrServerClosed // closed, or stopped
	}
	ordinal := len(s.conns) + 1
	b := route
	if bc, ok := s.byConn[ordinal]; ok {
		b = bc
	}
	h := &s.attempts[attempt-1]
	h.Status = http.StatusSwitchingProtocols
	h.Conn = ordinal
	c := newConn(s, r.ctx, nc, ordinal, attempt, req, h.Header, b)
	if s.holds.flaps > 0 {
		s.holds.flaps--
		c.flap = true
	}
	c.rules, c.fired = s.rulesFor(ordinal, req.URL.Path)
	s.conns = append(s.conns, c)
	delete(s.pending, nc)
	s.live++
	s.notifyLocked()
	s.log.Debug("wstest: connection open", "conn", ordinal, "attempt", attempt, "path", req.URL.Path, "flap", c.flap)
	return c, nil
}
