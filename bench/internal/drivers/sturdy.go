package drivers

import (
	"context"

	"github.com/sturdyws/sturdy/transport"
)

// Sturdy drives a bare sturdy transport.Conn with default options (a 4 KiB
// write buffer; a read buffer that grows from 4 KiB to 64 KiB while the
// socket keeps it full). Reads use ReadInto with one buffer reused for every message;
// Write is Write (one flush per message); Send is WriteBuffered, so a
// stream of messages shares the 4 KiB write buffer, and Flush is Flush.
// Every call gets context.Background(), the allocation-free case.
type Sturdy struct{}

// Name implements Driver.
func (Sturdy) Name() string { return "sturdy" }

// Dial implements Driver.
func (Sturdy) Dial(ctx context.Context, url string, netDial NetDial) (Conn, error) {
	c, _, err := transport.Dial(ctx, url, &transport.DialOptions{NetDialContext: netDial})
	if err != nil {
		return nil, err
	}
	return &sturdyConn{c: c}, nil
}

type sturdyConn struct {
	c    *transport.Conn
	buf  []byte
	exp  expectation
	hold holder
}

func (s *sturdyConn) Write(text bool, p []byte) error {
	typ := transport.MessageBinary
	if text {
		typ = transport.MessageText
	}
	return s.c.Write(context.Background(), typ, p)
}

func (s *sturdyConn) Send(p []byte) error {
	return s.c.WriteBuffered(context.Background(), transport.MessageBinary, p)
}

func (s *sturdyConn) Flush() error { return s.c.Flush(context.Background()) }

func (s *sturdyConn) Expect(n int, check Check) { s.exp = expectation{n, check} }

func (s *sturdyConn) Wait() error {
	ctx := context.Background()
	for i := range s.exp.n {
		typ, b, err := s.c.ReadInto(ctx, s.buf)
		s.buf = b
		if err != nil {
			return err
		}
		if s.exp.check != nil {
			if err := s.exp.check(i, typ == transport.MessageText, b); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *sturdyConn) Hold() {
	s.hold.start(func() {
		var buf []byte
		for {
			var err error
			if _, buf, err = s.c.ReadInto(context.Background(), buf); err != nil {
				return
			}
		}
	})
}

func (s *sturdyConn) Close() error {
	err := s.c.Close(transport.StatusNormalClosure, "")
	s.hold.wait()
	return err
}
