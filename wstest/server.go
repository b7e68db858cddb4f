package wstest

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// Server is a WebSocket server on the loopback interface that misbehaves on
// command. It runs in the test's process on real TCP, so clients go through
// their whole stack. All its methods are safe for concurrent use.
type Server struct {
	ln     net.Listener
	url    string
	log    *slog.Logger
	accept transport.AcceptOptions
	script []Rule

	// ctx ends when Close begins; it releases held handshakes and is the
	// parent of every connection's context.
	ctx    context.Context
	cancel context.CancelFunc
	// wg counts the accept loop and the goroutine of each TCP connection,
	// which after an upgrade is the connection's reader.
	wg        sync.WaitGroup
	closeOnce sync.Once
	done      chan struct{} // closed when Close has finished

	mu      sync.Mutex
	closing bool
	changed chan struct{} // closed and replaced on every event; see notifyLocked
	routes  map[string]Behavior
	byConn  map[int]Behavior
	def     Behavior
	pending map[net.Conn]struct{} // TCP connections not (yet) upgraded
	holds   handshakeFaults
	latency time.Duration

	// The record. msgs only grows, so snapshots share it; the rest is
	// copied into each snapshot.
	attempts []Handshake
	conns    []*Conn // index ordinal-1
	live     int
	msgs     []Message
	sent     int
}

// NewServer starts a server listening on a random port of 127.0.0.1, or
// [::1] with Options.IPv6. Close stops it.
func NewServer(opts Options) (*Server, error) {
	addr := "127.0.0.1:0"
	if opts.IPv6 {
		addr = "[::1]:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("wstest: listen on %s: %w", addr, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		ln:  ln,
		url: "ws://" + ln.Addr().String(),
		log: log,
		accept: transport.AcceptOptions{
			Subprotocols: slices.Clone(opts.Subprotocols),
			// A test server has no cookies to protect, and browsers'
			// origins would otherwise be refused.
			InsecureSkipOriginCheck: true,
			// Every connection's reader goroutine reads without pause
			// and answers pings; when a Stall silences it, the Conn
			// must not answer for it.
			NoIdleReads:  true,
			ReadLimit:    opts.ReadLimit,
			CloseTimeout: opts.CloseTimeout,
			Compression:  cloneCompression(opts.Compression),
		},
		script:  append([]Rule(nil), opts.Script...),
		done:    make(chan struct{}),
		changed: make(chan struct{}),
		routes:  maps.Clone(opts.Routes),
		byConn:  maps.Clone(opts.ByConnection),
		def:     opts.Default,
		pending: make(map[net.Conn]struct{}),
	}
	if s.routes == nil {
		s.routes = make(map[string]Behavior)
	}
	if s.byConn == nil {
		s.byConn = make(map[int]Behavior)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Start is NewServer for tests: it fails tb at once if the server cannot
// start, and closes the server when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := NewServer(opts)
	if err != nil {
		tb.Fatalf("wstest.Start: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// URL returns the server's base URL, ws://127.0.0.1:port (or
// ws://[::1]:port), to which a path is appended to pick a route.
func (s *Server) URL() string { return s.url }

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Handle sets the behaviour of requests for path, from the next handshake
// on; connections already open keep theirs.
func (s *Server) Handle(path string, b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[path] = b
}

// HandleConn sets the behaviour of the connection that will get ordinal, as
// Options.ByConnection does; it has no effect on a connection already open.
func (s *Server) HandleConn(ordinal int, b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byConn[ordinal] = b
}

// Close stops the server: it stops listening, refuses the handshakes it
// was holding, drops every connection without a close frame (clients see
// 1006; use CloseAll first for a clean goodbye), and returns once every
// goroutine it started has ended. It is idempotent; concurrent calls all
// wait. It must not be called from a Behavior hook, which Close waits for.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		pending := make([]net.Conn, 0, len(s.pending))
		for nc := range s.pending {
			pending = append(pending, nc)
		}
		conns := append([]*Conn(nil), s.conns...)
		s.mu.Unlock()

		s.cancel()
		_ = s.ln.Close()
		for _, nc := range pending {
			_ = nc.Close()
		}
		for _, c := range conns {
			c.kill()
		}
		s.wg.Wait()

		s.mu.Lock()
		s.notifyLocked()
		s.mu.Unlock()
		close(s.done)
	})
	<-s.done
}

// acceptLoop accepts TCP connections until the listener closes.
func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return // Close closed the listener
			}
			// Out of file descriptors, most likely: wait for some to be
			// freed, as net/http does, rather than stop serving.
			s.log.Debug("wstest: accept failed", "err", err)
			select {
			case <-time.After(5 * time.Millisecond):
			case <-s.ctx.Done():
				return
			}
			continue
		}
		at := time.Now()
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			_ = nc.Close()
			continue
		}
		s.pending[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveTCP(nc, at)
	}
}

// untrack forgets a TCP connection that was not upgraded and closes it.
func (s *Server) untrack(nc net.Conn) {
	s.mu.Lock()
	delete(s.pending, nc)
	s.mu.Unlock()
	_ = nc.Close()
}

// behaviorFor picks the behaviour of a request path.
func (s *Server) behaviorFor(path string) Behavior {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.routes[path]; ok {
		return b
	}
	return s.def
}

// notifyLocked wakes every waiter: they re-evaluate their condition on the
// new state. The caller holds s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// cloneCompression copies the options, so the caller may change its own
// after NewServer without racing with handshakes.
func cloneCompression(o *transport.CompressionOptions) *transport.CompressionOptions {
	if o == nil {
		return nil
	}
	c := *o
	return &c
}
