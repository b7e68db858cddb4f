package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// row is one conformance case: what the hostile server does, and what the
// client under test (sturdy's transport.Conn in an echo loop) must do.
type row struct {
	id   string // Autobahn|Testsuite case (e.g. "5.15") or RFC 6455 section
	desc string // the case, in words
	// handshake answers the client's request; nil sends a correct 101.
	handshake func(p *peer) error
	// serve is the server's script after the handshake: what it sends and
	// what it expects back, frame by frame.
	serve func(p *peer) error
	// client replaces the echo loop; nil echoes every message.
	client func(ctx context.Context, c *transport.Conn) error
	dial   transport.DialOptions
	want   want
}

// want is the client's expected end.
type want struct {
	// dialErr checks Dial's error for handshake rows; nil means Dial must
	// succeed.
	dialErr func(err error) error
	// failed is set when the client must fail the connection itself: its
	// loop ends with a *transport.ProtocolError carrying code.
	failed bool
	// code is the close code the loop's error must carry: the client's own
	// for a failure, the server's for a close it received.
	code transport.StatusCode
	// noCode accepts an end with no close code at all (client-initiated
	// close, where Close returns nil).
	noCode bool
}

// Shorthands for the common ends.

// closed1000 is the end of a row whose script finishes with closeNormally.
var closed1000 = want{code: 1000}

// fails is a client that failed the connection with code.
func fails(code transport.StatusCode) want { return want{failed: true, code: code} }

// tally counts rows across a run for the report line.
type tally struct{ passed, failed, skipped atomic.Int64 }

// track counts t's outcome when it ends.
func (c *tally) track(t *testing.T) {
	t.Cleanup(func() {
		switch {
		case t.Skipped():
			c.skipped.Add(1)
		case t.Failed():
			c.failed.Add(1)
		default:
			c.passed.Add(1)
		}
	})
}

func (c *tally) report(t *testing.T, what string) {
	p, f, s := c.passed.Load(), c.failed.Load(), c.skipped.Load()
	t.Logf("%s: %d passed, %d failed, %d skipped (%d rows)", what, p, f, s, p+f+s)
}

// TestConformance runs every row against sturdy's client and prints the
// count of rows passed. Rows run in parallel, each with its own listener.
func TestConformance(t *testing.T) {
	groups := []struct {
		name string
		rows []row
	}{
		{"handshake", handshakeRows()},
		{"framing", framingRows()},
		{"pingpong", pingRows()},
		{"reserved", reservedRows()},
		{"fragmentation", fragmentRows()},
		{"utf8", utf8Rows()},
		{"close", closeRows()},
		{"limits", limitRows()},
		{"large", largeRows(testing.Short())},
	}
	var c tally
	t.Run("rows", func(t *testing.T) {
		for _, g := range groups {
			t.Run(g.name, func(t *testing.T) {
				for _, r := range g.rows {
					t.Run(r.id, func(t *testing.T) {
						c.track(t)
						t.Parallel()
						runRow(t, r)
					})
				}
			})
		}
	})
	c.report(t, "conformance")
}

// runRow runs r: the hostile server on a fresh loopback listener, sturdy's
// client dialing it, and the checks of both ends.
func runRow(t *testing.T, r row) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := make(chan error, 1)
	go func() { srv <- serveRow(ln, r) }()

	ctx, cancel := context.WithTimeout(context.Background(), rowDeadline+10*time.Second)
	defer cancel()
	cerr := runClient(ctx, "ws://"+ln.Addr().String()+"/chat", r)
	_ = ln.Close() // a client that never connected must not leave serveRow waiting
	serr := <-srv

	if serr != nil {
		t.Errorf("server side (%s): %v", r.desc, serr)
	}
	if err := r.want.check(cerr); err != nil {
		t.Errorf("client side (%s): %v", r.desc, err)
	}
}

// serveRow accepts one connection and runs r's handshake and script on it.
func serveRow(ln net.Listener, r row) error {
	nc, err := ln.Accept()
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	defer nc.Close()
	p := newPeer(nc)
	if err := p.readRequest(); err != nil {
		return err
	}
	hs := r.handshake
	if hs == nil {
		hs = func(p *peer) error { return p.switching() }
	}
	if err := hs(p); err != nil {
		return err
	}
	if r.serve == nil {
		return nil
	}
	if err := r.serve(p); err != nil {
		return err
	}
	return checkMasks(p.masks)
}

// checkMasks fails a client whose masking keys repeat across many frames:
// §5.3 wants each key unpredictable, and a constant key is not.
func checkMasks(keys [][4]byte) error {
	if len(keys) < 8 {
		return nil
	}
	seen := make(map[[4]byte]bool, len(keys))
	for _, k := range keys {
		seen[k] = true
	}
	if len(seen) < len(keys)/2 {
		return fmt.Errorf("%d frames used only %d distinct masking keys", len(keys), len(seen))
	}
	return nil
}

// runClient dials with sturdy and runs the row's client (by default the
// echo loop), returning the error it ended with.
func runClient(ctx context.Context, addr string, r row) error {
	opts := r.dial
	opts.Proxy = func(*http.Request) (*url.URL, error) { return nil, nil }
	conn, _, err := transport.Dial(ctx, addr, &opts)
	if err != nil {
		return &dialError{err}
	}
	defer conn.CloseNow()
	if r.client != nil {
		return r.client(ctx, conn)
	}
	return echoLoop(ctx, conn)
}

// echoLoop reads messages and writes each back unchanged, until the
// connection ends.
func echoLoop(ctx context.Context, conn *transport.Conn) error {
	for {
		typ, p, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		if err := conn.Write(ctx, typ, p); err != nil {
			return err
		}
	}
}

// dialError marks an error from Dial, so rows can tell a refused
// handshake from a connection that ended later.
type dialError struct{ err error }

func (e *dialError) Error() string { return "dial: " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// check compares the client's end with w.
func (w want) check(err error) error {
	var de *dialError
	if errors.As(err, &de) {
		if w.dialErr == nil {
			return fmt.Errorf("dial failed: %v", de.err)
		}
		return w.dialErr(de.err)
	}
	if w.dialErr != nil {
		return fmt.Errorf("dial succeeded, want it refused (ended with %v)", err)
	}
	if err == nil {
		if w.noCode {
			return nil
		}
		return fmt.Errorf("client ended without error, want code %d", w.code)
	}
	var pe *transport.ProtocolError
	var ce *transport.CloseError
	switch {
	case w.failed && !errors.As(err, &pe):
		return fmt.Errorf("ended with %v (%T), want *transport.ProtocolError %d", err, err, w.code)
	case !w.failed && errors.As(err, &pe):
		return fmt.Errorf("client failed the connection (%v), want it to end with close %d", err, w.code)
	case !w.failed && !errors.As(err, &ce):
		return fmt.Errorf("ended with %v (%T), want *transport.CloseError %d", err, err, w.code)
	}
	if got := transport.CloseStatus(err); got != w.code {
		return fmt.Errorf("ended with code %d (%v), want %d", got, err, w.code)
	}
	return nil
}
