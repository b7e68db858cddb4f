package drivers

import (
	"context"
	"errors"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/transport"
)

// Client drives sturdy's reconnecting client.Client with default Options
// (heartbeat on, memory queue, AtMostOnce) but InboundPolicy InboundWait:
// a benchmark wants every message, as a request/response program does,
// where the default would drop the oldest of a flood the reader outruns. Write and Send are both Send:
// the message is copied into the queue and the Client's writer drains it,
// coalescing whatever is ready (WriteBuffered, one Flush per batch), so
// Flush has nothing to do. Reads are ReadMany with the same 64 slots
// handed back each call, the Client's cheapest way to read a feed (no
// allocation; while the program keeps up, messages are copied straight
// from the connection's buffer on the reading goroutine, as the Conn
// driver's ReadInto does). Hold has nothing to do:
// the Client always reads.
//
// With Observer set (-observers), the same Client runs with an
// Options.Observer: see Observed.
type Client struct {
	Observer Observed
}

// Name implements Driver.
func (d Client) Name() string { return "sturdy-client" + d.Observer.suffix() }

// Dial implements Driver: Start, then WaitConnected.
func (d Client) Dial(ctx context.Context, url string, netDial NetDial) (Conn, error) {
	obs, done, err := d.Observer.observer()
	if err != nil {
		return nil, err
	}
	c, err := client.Start(context.Background(), client.Options{
		URL: url, FailFirstAttempt: true,
		Dial:     transport.DialOptions{NetDialContext: netDial},
		Observer: obs,
		// Every message must reach Read, checked: the default policy
		// discards the oldest when the reader falls behind a flood.
		InboundPolicy: client.InboundWait,
	})
	if err != nil {
		done()
		return nil, err
	}
	if err := c.WaitConnected(ctx); err != nil {
		_ = c.Close()
		done()
		return nil, err
	}
	return &clientConn{c: c, done: done}, nil
}

type clientConn struct {
	c    *client.Client
	ms   []client.Inbound // ReadMany's slots, handed back with each call
	exp  expectation
	done func() // releases what the observer holds, after Close
}

func (s *clientConn) Write(text bool, p []byte) error {
	typ := transport.MessageBinary
	if text {
		typ = transport.MessageText
	}
	_, err := s.c.Send(context.Background(), typ, p)
	return err
}

func (s *clientConn) Send(p []byte) error {
	_, err := s.c.Send(context.Background(), transport.MessageBinary, p)
	return err
}

func (s *clientConn) Flush() error { return nil }

func (s *clientConn) Expect(n int, check Check) { s.exp = expectation{n, check} }

func (s *clientConn) Wait() error {
	ctx := context.Background()
	if s.ms == nil {
		s.ms = make([]client.Inbound, 64)
	}
	for i := 0; i < s.exp.n; {
		n, err := s.c.ReadMany(ctx, s.ms[:min(len(s.ms), s.exp.n-i)])
		if err != nil {
			return err
		}
		for _, m := range s.ms[:n] {
			if s.exp.check != nil {
				if err := s.exp.check(i, m.Type == transport.MessageText, m.Payload); err != nil {
					return err
				}
			}
			i++
		}
	}
	return nil
}

func (s *clientConn) Hold() {}

// Close closes the Client; messages still queued (none, once a scenario
// has had its answer) are not an error here.
func (s *clientConn) Close() error {
	err := s.c.Close()
	s.done()
	if errors.Is(err, client.ErrUndelivered) {
		return nil
	}
	return err
}
