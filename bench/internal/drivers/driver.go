// Package drivers adapts each WebSocket library to one interface, so every
// scenario runs the same code against all of them. Each driver uses its
// library's fastest documented API, with buffers reused wherever the
// library allows; its file says how.
package drivers

import (
	"context"
	"io"
	"net"
)

// Check inspects received message i (counted from the Expect call); p is
// valid only during the call. Scenarios pass nil when they only measure.
type Check func(i int, text bool, p []byte) error

// Driver connects one library to the benchmark server.
type Driver interface {
	// Name is the library's short name, as printed in the tables.
	Name() string
	// Dial opens a connection to url (ws://127.0.0.1:port/path?query),
	// through netDial when it is not nil (the library's own dialer
	// otherwise).
	Dial(ctx context.Context, url string, netDial NetDial) (Conn, error)
}

// NetDial opens the network connection under a WebSocket one, as
// net.Dialer.DialContext does.
type NetDial func(ctx context.Context, network, addr string) (net.Conn, error)

// Conn is one open connection of some library. Its methods are called
// from one goroutine.
type Conn interface {
	// Write sends p as one message and makes sure it is on its way
	// (flushed).
	Write(text bool, p []byte) error
	// Send sends p as one binary message through the library's fastest
	// path for a stream of messages: buffered where the library allows
	// it, so a batch shares system calls. Flush pushes it out.
	Send(p []byte) error
	// Flush writes what Send left buffered.
	Flush() error
	// Expect announces that the next n messages are to be received and
	// passed to check (when not nil); Wait receives them. The two halves
	// let a library that delivers messages on its own goroutine count
	// from the right moment.
	Expect(n int, check Check)
	// Wait returns once the n messages announced by Expect have arrived.
	Wait() error
	// Hold keeps an idle connection serviced the way an application
	// would: a read pending, so pings and a close are answered. Close
	// stops it.
	Hold()
	// Close ends the connection the library's usual way and returns once
	// everything the driver started has stopped.
	Close() error
}

// Options set the drivers up for one run.
type Options struct {
	// PeerReadBuffer, when positive, is the read buffer size of the peers
	// that let the application choose it (gorilla, gobwas, gws; coder's is
	// fixed at 4 KiB). Zero leaves each at its default.
	PeerReadBuffer int
}

// All returns every driver, in the order the tables list them.
func All(o Options) []Driver {
	n := o.PeerReadBuffer
	return []Driver{Sturdy{}, Client{}, Gorilla{ReadBuffer: n}, Coder{}, Gobwas{ReadBuffer: n}, GWS{ReadBuffer: n}, Raw{}}
}

// expectation is what Expect recorded, for the drivers that read in Wait.
type expectation struct {
	n     int
	check Check
}

// readInto reads r to its end into buf[:0], growing buf as needed, and
// returns the filled slice; buf keeps its capacity for the next message.
func readInto(r io.Reader, buf []byte) ([]byte, error) {
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// holder runs a read loop for Hold and lets Close wait for it.
type holder struct {
	done chan struct{}
}

// start runs loop on a new goroutine.
func (h *holder) start(loop func()) {
	h.done = make(chan struct{})
	go func() {
		defer close(h.done)
		loop()
	}()
}

// wait returns once the loop has ended (at once if none was started).
func (h *holder) wait() {
	if h.done != nil {
		<-h.done
	}
}
