package wstest

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sturdyws/sturdy/transport"
)

// Server is a WebSocket server on the loopback interface that misbehaves on
// command. It runs in the test's process on real TCP, so clients go through
// their whole stack. All its methods are safe for concurrent use.
type Server struct {
	addr   net.Addr // where the server listens, across Stop and Restart
	url    string
	log    *slog.Logger
	accept transport.AcceptOptions
	script []Rule

	// ctx ends when Close begins; it is the parent of every run's.
	ctx    context.Context
	cancel context.CancelFunc
	// life serialises Stop, Restart and Close, so at most one run exists
	// and each has ended before the next begins.
	life      sync.Mutex
	closeOnce sync.Once
	done      chan struct{} // closed when Close has finished
	// rate is the read throttle in bytes per second, 0 for none.
	rate atomic.Int64

	mu      sync.Mutex
	closing bool
	run     *run          // the listening run; nil while stopped (guarded by mu)
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

// NewServer starts a server listening on Options.Addr, by default a random
// port of 127.0.0.1 (or [::1] with Options.IPv6). Close stops it.
func NewServer(opts Options) (*Server, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
		if opts.IPv6 {
			addr = "[::1]:0"
		}
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
		addr: ln.Addr(),
		url:  "ws://" + ln.Addr().String(),
		log:  log,
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
	s.rate.Store(max(opts.ReadRate, 0))
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.Lock()
	s.startLocked(ln)
	s.mu.Unlock()
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

// Addr returns the address the server listens on, the same across Stop
// and Restart.
func (s *Server) Addr() net.Addr { return s.addr }

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
		s.life.Lock()
		defer s.life.Unlock()
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		s.cancel()
		s.stopRun()

		s.mu.Lock()
		s.notifyLocked()
		s.mu.Unlock()
		close(s.done)
	})
	<-s.done
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
