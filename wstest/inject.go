package wstest

import (
	"context"

	"github.com/sturdyws/sturdy/transport"
)

// Inject applies f to the live connection with ordinal and returns once it
// has taken effect: the socket is closed (Drop, Reset), the closing
// handshake has started (CloseWith), the reader is out of the socket
// (Stall) or the bytes are written (Raw). It returns ErrNoConn when no live
// connection has that ordinal, and the write's error for Raw.
func (s *Server) Inject(ordinal int, f Fault) error {
	c, err := s.liveConn(ordinal)
	if err != nil {
		return err
	}
	return c.inject(f)
}

// InjectAll applies f, as Inject does, to every live connection, and
// returns how many it reached.
func (s *Server) InjectAll(f Fault) int {
	n := 0
	for _, c := range s.liveConns() {
		if c.inject(f) == nil {
			n++
		}
	}
	return n
}

// Drop closes connection ordinal without a close frame; see the Drop fault.
func (s *Server) Drop(ordinal int) error { return s.Inject(ordinal, Drop()) }

// DropAll drops every live connection and returns how many it dropped.
func (s *Server) DropAll() int { return s.InjectAll(Drop()) }

// Reset aborts connection ordinal with a TCP RST; see the Reset fault.
func (s *Server) Reset(ordinal int) error { return s.Inject(ordinal, Reset()) }

// ResetAll resets every live connection and returns how many it reset.
func (s *Server) ResetAll() int { return s.InjectAll(Reset()) }

// CloseConn starts the closing handshake on connection ordinal; see
// CloseWith, which panics on a code that may not be sent.
func (s *Server) CloseConn(ordinal int, code transport.StatusCode, reason string) error {
	return s.Inject(ordinal, CloseWith(code, reason))
}

// CloseAll starts the closing handshake with code and reason on every live
// connection and returns how many it reached; see CloseWith.
func (s *Server) CloseAll(code transport.StatusCode, reason string) int {
	return s.InjectAll(CloseWith(code, reason))
}

// Stall makes connection ordinal a silent, half-open peer; see the Stall
// fault. It returns once the server has stopped reading it and a message
// it was writing, if any, has been written: from then on a ping is never
// answered and nothing more is sent. (A write blocked because the client
// does not read holds Stall until the client reads or the connection ends.)
func (s *Server) Stall(ordinal int) error { return s.Inject(ordinal, Stall()) }

// StallAll stalls every live connection and returns how many it stalled.
func (s *Server) StallAll() int { return s.InjectAll(Stall()) }

// SendRaw writes p as it is to connection ordinal, between whole messages;
// see the Raw fault.
func (s *Server) SendRaw(ordinal int, p []byte) error { return s.Inject(ordinal, Raw(p)) }

// Send sends one well-formed message to connection ordinal, as the
// connection's behaviour would with Conn.Write.
func (s *Server) Send(ctx context.Context, ordinal int, typ transport.MessageType, p []byte) error {
	c, err := s.liveConn(ordinal)
	if err != nil {
		return err
	}
	if !c.awaitReady() {
		return ErrNoConn
	}
	return c.Write(ctx, typ, p)
}

// liveConn returns the live connection with ordinal.
func (s *Server) liveConn(ordinal int) (*Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, ErrServerClosed
	}
	if ordinal < 1 || ordinal > len(s.conns) || !s.conns[ordinal-1].info.Live {
		return nil, ErrNoConn
	}
	return s.conns[ordinal-1], nil
}

// liveConns returns the connections that are live now.
func (s *Server) liveConns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil
	}
	var out []*Conn
	for _, c := range s.conns {
		if c.info.Live {
			out = append(out, c)
		}
	}
	return out
}

// awaitReady waits for the handshake to finish (the 101 is being written,
// which a closing server cuts short) and reports whether it succeeded.
func (c *Conn) awaitReady() bool {
	<-c.ready
	return c.tc != nil
}

// inject applies a commanded fault: it waits for the handshake to finish
// and, for a stall, for the reader to leave the socket.
func (c *Conn) inject(f Fault) error {
	if !c.awaitReady() {
		return ErrNoConn
	}
	return c.apply(f, false, true)
}

// apply injects f. holdingW says the caller holds wmu (a rule fired by a
// write). wait makes a stall wait for the reader and the writer to be out
// of the socket; rules never wait, since they may fire inside Write.
func (c *Conn) apply(f Fault, holdingW, wait bool) error {
	if f.kind != faultNone {
		c.srv.log.Debug("wstest: fault", "conn", c.ordinal, "fault", f.String())
	}
	switch f.kind {
	case faultDrop:
		c.kill()
	case faultReset:
		if tcp, ok := tcpConn(c.nc); ok {
			// Linger 0 makes close send RST instead of FIN.
			_ = tcp.SetLinger(0)
		}
		c.kill()
	case faultClose:
		// The closing handshake waits for the client; the connection owns
		// that wait, so neither a command nor a write blocks on it.
		c.closing.Store(true)
		c.spawn(func() { _ = c.tc.Close(f.code, f.reason) })
	case faultStall:
		c.stall(wait)
	case faultRaw:
		if !holdingW {
			c.wmu.Lock()
			defer c.wmu.Unlock()
		}
		if _, err := c.nc.Write(f.raw); err != nil {
			return err
		}
	}
	return nil
}

// stall stops the reader and every writer; see the Stall fault. With
// wait, it returns once the reader is out of the socket and a write in
// progress has finished, after which the connection is silent.
func (c *Conn) stall(wait bool) {
	if c.stalled.CompareAndSwap(false, true) {
		close(c.stallCh)
		c.cancelRead()
		c.srv.recordStall(c)
	}
	if wait {
		// Read holds readMu and Write holds wmu: once each is ours, its
		// holder is done and, seeing the stall, will not start again.
		c.readMu.Lock()
		//lint:ignore SA2001 a barrier: taking the lock waited out the reader
		c.readMu.Unlock()
		c.wmu.Lock()
		//lint:ignore SA2001 a barrier: taking the lock waited out the writer
		c.wmu.Unlock()
	}
}
