package wstest

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// Message is a data message the server received.
type Message struct {
	// Conn is the ordinal of the connection it arrived on.
	Conn int
	// Index is its position among that connection's messages, from 1.
	Index int
	// Type is text or binary.
	Type transport.MessageType
	// Data is the payload.
	Data []byte
	// Time is when the server finished reading it.
	Time time.Time
}

// Handshake records one handshake attempt: an HTTP request the server read
// on a new TCP connection.
type Handshake struct {
	// Attempt numbers the attempts from 1, in the order their requests
	// arrived.
	Attempt int
	// Time is when the TCP connection carrying the request was accepted,
	// the closest the server sees to when the client dialled; see
	// Snapshot.Intervals.
	Time time.Time
	// Path is the request's URL path.
	Path string
	// Header is the request header, credentials included (that is what
	// token-refresh tests look at).
	Header http.Header
	// Status is the HTTP status of the answer: 101 when the connection was
	// accepted, the refusal's status otherwise, and 0 while the server has
	// not answered (a held handshake) or when it never did (the server
	// closed first).
	Status int
	// Conn is the ordinal of the connection it opened, or 0.
	Conn int
}

// ConnInfo describes an accepted connection.
type ConnInfo struct {
	// Ordinal numbers accepted connections from 1, in handshake order.
	Ordinal int
	// Attempt is the handshake attempt that opened it.
	Attempt int
	// Path is the URL path it was opened on.
	Path string
	// Opened is when the server accepted it, just before the 101 went out.
	Opened time.Time
	// Closed is when it ended; zero while it is live.
	Closed time.Time
	// Live is true from the moment the server accepts the handshake until
	// the connection has ended and its goroutines are gone.
	Live bool
	// Stalled is set once a Stall fault has hit it.
	Stalled bool
	// Received counts data messages read from the client. Sent counts
	// data messages written to it, including one being written, so a
	// client that has read a message finds it counted.
	Received int
	Sent     int
	// Err is why it ended, as the server saw it: the client's close frame
	// (*transport.CloseError), 1006 when the TCP connection was lost or the
	// server dropped it, or a *transport.ProtocolError. Nil while live.
	Err error
}

// Snapshot is the server's state at one moment. Messages shares memory with
// the server's record, which only ever grows, so reading a Snapshot needs
// no lock; treat it, and the headers in it, as read-only.
type Snapshot struct {
	// Handshakes lists every attempt, in order.
	Handshakes []Handshake
	// Conns lists every accepted connection: Conns[i].Ordinal is i+1.
	Conns []ConnInfo
	// Live counts connections not yet ended.
	Live int
	// Messages lists every message received, in the order the server read
	// them across connections.
	Messages []Message
	// Sent counts data messages sent on all connections.
	Sent int
}

// Attempts returns the number of handshake attempts.
func (s Snapshot) Attempts() int { return len(s.Handshakes) }

// Accepted returns the number of accepted connections.
func (s Snapshot) Accepted() int { return len(s.Conns) }

// Received returns the number of messages received.
func (s Snapshot) Received() int { return len(s.Messages) }

// Intervals returns the time between consecutive handshake attempts, the
// client's backoff as the server saw it: Intervals()[i] is the gap between
// attempt i+1 and attempt i+2.
func (s Snapshot) Intervals() []time.Duration {
	var out []time.Duration
	for i := 1; i < len(s.Handshakes); i++ {
		out = append(out, s.Handshakes[i].Time.Sub(s.Handshakes[i-1].Time))
	}
	return out
}

// String summarises the counts, for test failure messages.
func (s Snapshot) String() string {
	return fmt.Sprintf("attempts=%d accepted=%d live=%d received=%d sent=%d",
		s.Attempts(), s.Accepted(), s.Live, s.Received(), s.Sent)
}

// Snapshot returns the server's current state. Safe for concurrent use.
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

func (s *Server) snapshotLocked() Snapshot {
	snap := Snapshot{
		Handshakes: make([]Handshake, len(s.attempts)),
		Conns:      make([]ConnInfo, len(s.conns)),
		Live:       s.live,
		// Capped, so an append by the caller cannot write into the
		// server's record.
		Messages: s.msgs[:len(s.msgs):len(s.msgs)],
		Sent:     s.sent,
	}
	copy(snap.Handshakes, s.attempts)
	for i, c := range s.conns {
		snap.Conns[i] = c.info
	}
	return snap
}

// Received returns a copy of every message received, in the order the
// server read them across connections. Safe for concurrent use.
func (s *Server) Received() []Message {
	return s.received(0)
}

// ReceivedOn returns a copy of the messages received on the connection with
// ordinal, in order; nil when there is none. Safe for concurrent use.
func (s *Server) ReceivedOn(ordinal int) []Message {
	if ordinal <= 0 {
		return nil
	}
	return s.received(ordinal)
}

// received copies the messages of one connection, or all for ordinal 0.
func (s *Server) received(ordinal int) []Message {
	s.mu.Lock()
	msgs := s.msgs[:len(s.msgs):len(s.msgs)]
	s.mu.Unlock()
	var out []Message
	for _, m := range msgs {
		if ordinal == 0 || m.Conn == ordinal {
			m.Data = bytes.Clone(m.Data)
			out = append(out, m)
		}
	}
	return out
}
