package wstest

import (
	"context"
	"net/http"
	"time"
)

// handshakeFaults is what the server does to handshakes before answering
// them. Guarded by Server.mu.
type handshakeFaults struct {
	rejects []pendingRejection
	flaps   int
	delay   time.Duration
	gate    chan struct{} // non-nil while handshakes are held; closed to release them
}

type pendingRejection struct {
	left int
	rej  Rejection
}

// RejectNext refuses the next n handshakes with status and header, e.g.
// RejectNext(2, 503, http.Header{"Retry-After": {"1"}}). Calls queue up:
// RejectNext(2, 503, nil) then RejectNext(1, 401, nil) refuses two
// attempts with 503, then one with 401. Rejections come before the route's
// own Check.
func (s *Server) RejectNext(n, status int, header http.Header) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds.rejects = append(s.holds.rejects, pendingRejection{
		left: n,
		rej:  Rejection{Status: status, Header: header.Clone()},
	})
}

// FlapNext makes the next n accepted connections flap: the server
// completes the handshake (the client's dial succeeds) and drops the
// connection at once, without a close frame. Calls add up.
func (s *Server) FlapNext(n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds.flaps += n
}

// DelayHandshakes makes every handshake from now on wait d before it is
// answered; 0 removes the delay. A client whose handshake timeout is
// shorter gives up.
func (s *Server) DelayHandshakes(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds.delay = d
}

// StallHandshakes holds every handshake from now on unanswered, with its
// TCP connection open, until ReleaseHandshakes or Close. Held attempts are
// recorded, with status 0, as soon as their request arrives.
func (s *Server) StallHandshakes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holds.gate == nil {
		s.holds.gate = make(chan struct{})
	}
}

// ReleaseHandshakes lets the handshakes held by StallHandshakes, and those
// to come, proceed.
func (s *Server) ReleaseHandshakes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holds.gate != nil {
		close(s.holds.gate)
		s.holds.gate = nil
	}
}

// SetLatency delays every message the server sends by d, one message after
// another, as a slow link or a slow server would; 0 removes the delay. It
// applies from the next write on.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

func (s *Server) currentLatency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency
}

// hold applies DelayHandshakes and StallHandshakes to a handshake. It
// reports false when the server stopped or closed meanwhile (ctx, the
// run's, ended).
func (s *Server) hold(ctx context.Context) bool {
	s.mu.Lock()
	d := s.holds.delay
	s.mu.Unlock()
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	s.mu.Lock()
	gate := s.holds.gate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return false
		}
	}
	return ctx.Err() == nil
}

// takeRejection consumes one pending rejection, if any.
func (s *Server) takeRejection() *Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.holds.rejects) == 0 {
		return nil
	}
	p := &s.holds.rejects[0]
	rej := p.rej
	p.left--
	if p.left == 0 {
		s.holds.rejects = s.holds.rejects[1:]
	}
	return &rej
}
