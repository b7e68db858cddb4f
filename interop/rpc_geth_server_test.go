package interop

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gethrpc "github.com/ethereum/go-ethereum/rpc"
)

// numberFeed is a source of numbered events that outlives any server, as a
// chain or a market does: its head keeps growing while servers come and
// go. Subscribers are the Notifiers of live geth subscriptions.
type numberFeed struct {
	mu      sync.Mutex
	head    uint64
	subs    map[gethrpc.ID]*gethrpc.Notifier
	waiters map[uint64][]chan struct{} // closed when head reaches the key

	// unpacedUntil lets the tests' emitter run ahead of the program up to
	// this event while the server is down: those events reach no one, so
	// the program cannot pace them, and the test waits for them to make
	// its gap.
	unpacedUntil atomic.Uint64
	// unpaced wakes an emitter waiting for the program when unpacedUntil
	// moves: the program, its connection gone, may have nothing left to
	// take, and then nothing else would wake it.
	unpaced chan struct{}
}

func newNumberFeed() *numberFeed {
	return &numberFeed{subs: map[gethrpc.ID]*gethrpc.Notifier{}, waiters: map[uint64][]chan struct{}{}, unpaced: make(chan struct{}, 1)}
}

// unpace lets the emitter run ahead of the program up to event until, and
// wakes it.
func (f *numberFeed) unpace(until uint64) {
	f.unpacedUntil.Store(until)
	select {
	case f.unpaced <- struct{}{}:
	default:
	}
}

// event is what the feed's subscription sends.
type event struct {
	N uint64 `json:"n"`
}

// emit numbers one more event and pushes it to every subscription.
func (f *numberFeed) emit() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.head++
	for id, n := range f.subs {
		if n.Notify(id, event{N: f.head}) != nil {
			delete(f.subs, id)
		}
	}
	for _, ch := range f.waiters[f.head] {
		close(ch)
	}
	delete(f.waiters, f.head)
	return f.head
}

// waitHead waits until the feed has emitted event at.
func (f *numberFeed) waitHead(at uint64) {
	f.mu.Lock()
	if f.head >= at {
		f.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	f.waiters[at] = append(f.waiters[at], ch)
	f.mu.Unlock()
	<-ch
}

func (f *numberFeed) current() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.head
}

// gethService is the "test" namespace served by go-ethereum's rpc server.
type gethService struct{ feed *numberFeed }

// Echo returns its argument.
func (s *gethService) Echo(x any) any { return x }

// EchoOnce returns its argument; the tests do not mark it idempotent.
func (s *gethService) EchoOnce(x any) any { return x }

// Fail returns an error with a code and data, as geth encodes them.
func (s *gethService) Fail() error { return &codedError{} }

// Since returns the event numbers after n, up to the newest: a backfill.
func (s *gethService) Since(n uint64) []uint64 {
	head := s.feed.current()
	out := []uint64{}
	for i := n + 1; i <= head; i++ {
		out = append(out, i)
	}
	return out
}

// Numbers is the subscription "numbers": every event the feed emits from
// now on.
func (s *gethService) Numbers(ctx context.Context) (*gethrpc.Subscription, error) {
	n, ok := gethrpc.NotifierFromContext(ctx)
	if !ok {
		return nil, gethrpc.ErrNotificationsUnsupported
	}
	sub := n.CreateSubscription()
	s.feed.mu.Lock()
	s.feed.subs[sub.ID] = n
	s.feed.mu.Unlock()
	go func() {
		// Ends with the subscription or its connection (geth closes Err
		// on both), so no goroutine outlives the server.
		<-sub.Err()
		s.feed.mu.Lock()
		delete(s.feed.subs, sub.ID)
		s.feed.mu.Unlock()
	}()
	return sub, nil
}

type codedError struct{}

func (*codedError) Error() string          { return "boom" }
func (*codedError) ErrorCode() int         { return -32042 }
func (*codedError) ErrorData() interface{} { return map[string]int{"n": 7} }

// gethServer is go-ethereum's rpc.Server behind its WebSocket handler on a
// fixed loopback address, which can be killed (every connection dropped,
// the listener closed) and started again on the same address.
type gethServer struct {
	t    *testing.T
	feed *numberFeed
	addr string

	mu   sync.Mutex
	rpc  *gethrpc.Server
	http *http.Server
	wg   sync.WaitGroup
}

func startGeth(t *testing.T, feed *numberFeed) *gethServer {
	t.Helper()
	s := &gethServer{t: t, feed: feed, addr: "127.0.0.1:0"}
	s.start()
	t.Cleanup(s.kill)
	return s
}

func (s *gethServer) url() string { return "ws://" + s.addr }

// start serves on s.addr, retrying briefly while the port is still
// being released by the last kill.
func (s *gethServer) start() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond) // the port is released asynchronously
	}
	if err != nil {
		s.t.Fatalf("listen %s: %v", s.addr, err)
	}
	s.addr = ln.Addr().String()
	srv := gethrpc.NewServer()
	if err := srv.RegisterName("test", &gethService{feed: s.feed}); err != nil {
		s.t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.WebsocketHandler([]string{"*"}), ReadHeaderTimeout: 5 * time.Second}
	s.mu.Lock()
	s.rpc, s.http = srv, hs
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.t.Errorf("serve: %v", err)
		}
	}()
}

// kill stops the server as a crash would look from the client: every
// connection dropped, nothing listening. Idempotent.
func (s *gethServer) kill() {
	s.mu.Lock()
	srv, hs := s.rpc, s.http
	s.rpc, s.http = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = hs.Close() // the listener; hijacked WebSocket connections are geth's
	srv.Stop()     // closes every codec, so every connection
	s.wg.Wait()
}
