package wstest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// run is one listening period of the server, from NewServer or Restart to
// Stop or Close. Its goroutines (the accept loop and one per TCP
// connection, which after an upgrade is the connection's reader) all end
// before the run is over, so runs never overlap.
type run struct {
	ln net.Listener
	// ctx ends when the run stops; it releases held handshakes and is the
	// parent of every connection's context.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startLocked starts a run on ln. The caller holds s.mu.
func (s *Server) startLocked(ln net.Listener) {
	r := &run{ln: ln}
	r.ctx, r.cancel = context.WithCancel(s.ctx)
	s.run = r
	r.wg.Add(1)
	go s.acceptLoop(r)
}

// Stop takes the server down for real, as a crashed or restarting server
// would be: it stops listening, so new connections are refused by the
// kernel (ECONNREFUSED), drops every connection without a close frame
// (clients see 1006), refuses the handshakes it was holding, and returns
// once every goroutine of those connections has ended. Everything else is
// kept: routes, scripts, the record (ordinals go on from where they were
// after Restart), and the address. Stop is idempotent; it must not be
// called from a Behavior hook, which it waits for. After Close it does
// nothing.
func (s *Server) Stop() {
	s.life.Lock()
	defer s.life.Unlock()
	s.stopRun()
}

// Restart listens again on the address the server had, after Stop, so
// clients reconnecting to URL find it back. It fails if the address was
// taken meanwhile (by another program: the server's own port is released
// by Stop), and with ErrServerClosed after Close. On a server that is
// listening it does nothing.
func (s *Server) Restart() error {
	s.life.Lock()
	defer s.life.Unlock()
	s.mu.Lock()
	closing, listening := s.closing, s.run != nil
	s.mu.Unlock()
	switch {
	case closing:
		return ErrServerClosed
	case listening:
		return nil
	}
	ln, err := net.Listen("tcp", s.addr.String())
	if err != nil {
		return fmt.Errorf("wstest: listen again on %s: %w", s.addr, err)
	}
	s.mu.Lock()
	s.startLocked(ln)
	s.notifyLocked()
	s.mu.Unlock()
	s.log.Debug("wstest: restarted", "addr", s.addr.String())
	return nil
}

// Listening reports whether the server is accepting connections: true from
// NewServer or Restart to Stop or Close.
func (s *Server) Listening() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run != nil
}

// stopRun ends the current run, if any, and waits for its goroutines. The
// caller holds s.life.
func (s *Server) stopRun() {
	s.mu.Lock()
	r := s.run
	if r == nil {
		s.mu.Unlock()
		return
	}
	s.run = nil
	pending := make([]net.Conn, 0, len(s.pending))
	for nc := range s.pending {
		pending = append(pending, nc)
	}
	var live []*Conn
	for _, c := range s.conns {
		if c.info.Live {
			live = append(live, c)
		}
	}
	s.mu.Unlock()

	r.cancel()
	_ = r.ln.Close()
	for _, nc := range pending {
		_ = nc.Close()
	}
	for _, c := range live {
		c.kill()
	}
	r.wg.Wait()

	s.mu.Lock()
	s.notifyLocked()
	s.mu.Unlock()
	s.log.Debug("wstest: stopped", "addr", s.addr.String())
}

// acceptLoop accepts TCP connections until the run's listener closes.
func (s *Server) acceptLoop(r *run) {
	defer r.wg.Done()
	for {
		nc, err := r.ln.Accept()
		if err != nil {
			if r.ctx.Err() != nil {
				return // Stop or Close closed the listener
			}
			// Out of file descriptors, most likely: wait for some to be
			// freed, as net/http does, rather than stop serving.
			s.log.Debug("wstest: accept failed", "err", err)
			select {
			case <-time.After(5 * time.Millisecond):
			case <-r.ctx.Done():
				return
			}
			continue
		}
		at := time.Now()
		nc = s.throttle(nc)
		s.mu.Lock()
		if s.run != r {
			s.mu.Unlock()
			_ = nc.Close()
			continue
		}
		s.pending[nc] = struct{}{}
		r.wg.Add(1)
		s.mu.Unlock()
		go s.serveTCP(r, nc, at)
	}
}
