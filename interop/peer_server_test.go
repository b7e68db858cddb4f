package interop

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// echoServer is a real WebSocket server speaking the echo protocol the
// peer tests use:
//
//   - every message is sent back unchanged, on /echo as one frame, on /frag
//     through the peer's streaming writer (fragments, where the peer can);
//   - a text message "close:CODE" makes the server start the closing
//     handshake with CODE and reason "bye" instead of echoing;
//   - the close code the client sends is reported on closes().
type echoServer interface {
	addr() string
	closes() <-chan int
	stop()
}

// peerSpec names a peer and starts its server on addr ("127.0.0.1:0" for
// any port, or a fixed address to restart on the same port).
type peerSpec struct {
	name  string
	start func(t *testing.T, addr string) echoServer
}

// closeCommand parses a "close:CODE" message.
func closeCommand(text bool, p []byte) (int, bool) {
	s, ok := strings.CutPrefix(string(p), "close:")
	if !text || !ok {
		return 0, false
	}
	code, err := strconv.Atoi(s)
	return code, err == nil
}

// peerEvents carries what a server saw to the test.
type peerEvents struct{ ch chan int }

func newPeerEvents() *peerEvents { return &peerEvents{ch: make(chan int, 64)} }

// closed records the code of a close frame the server received; it never
// blocks the server.
func (e *peerEvents) closed(code int) {
	select {
	case e.ch <- code:
	default:
	}
}

// goPeer runs an in-process net/http server for a Go WebSocket library.
// http.Server forgets hijacked connections, so the listener tracks every
// connection it accepts and stop closes them all, then waits for the
// handlers and the accept loop.
type goPeer struct {
	ln       *trackingListener
	srv      *http.Server
	ev       *peerEvents
	handlers sync.WaitGroup
	serving  sync.WaitGroup
}

// startGoPeer listens on addr and serves handler, which gets the event
// sink and whether the request asked for fragments.
func startGoPeer(t *testing.T, addr string, handler func(ev *peerEvents, frag bool, w http.ResponseWriter, r *http.Request)) *goPeer {
	t.Helper()
	nl, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	p := &goPeer{ln: &trackingListener{Listener: nl, conns: map[net.Conn]struct{}{}}, ev: newPeerEvents()}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.handlers.Add(1)
		defer p.handlers.Done()
		handler(p.ev, r.URL.Path == "/frag", w, r)
	})}
	p.serving.Add(1)
	go func() {
		defer p.serving.Done()
		if err := p.srv.Serve(p.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	}()
	t.Cleanup(p.stop)
	return p
}

func (p *goPeer) addr() string       { return p.ln.Addr().String() }
func (p *goPeer) closes() <-chan int { return p.ev.ch }

// stop kills the server as a crash would: listener and every connection
// closed at once, no closing handshake. Idempotent.
func (p *goPeer) stop() {
	_ = p.srv.Close()
	p.ln.closeAll()
	p.serving.Wait()
	p.handlers.Wait()
}

// trackingListener remembers the connections it accepted.
type trackingListener struct {
	net.Listener
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	l.conns[c] = struct{}{}
	return c, nil
}

func (l *trackingListener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	_ = l.Listener.Close()
	for c := range l.conns {
		_ = c.Close()
	}
	clear(l.conns)
}
