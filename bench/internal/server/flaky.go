package server

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/payload"
	"github.com/sturdyws/sturdy/bench/internal/wsraw"
)

// flaky is the listener of the reconnect scenario: it can go down
// (listener closed, connections dropped without a close frame, as when a
// server restarts) and come back on the same address.
type flaky struct {
	s    *server
	addr string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wait  *replayWait // the measurement in progress, if any
}

// replayWait collects the replayed messages after "flaky up".
type replayWait struct {
	want, size int
	back       time.Time // when the listener was back
	first      time.Time
	got        int
	done       bool
}

var (
	errNoFlaky   = errors.New("flaky listener not open")
	errFlakyBusy = errors.New("flaky listener already up")
)

func (s *server) flakyOpen() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	f := &flaky{s: s, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	s.mu.Lock()
	old := s.flaky
	s.flaky = f
	s.mu.Unlock()
	if old != nil {
		old.down()
	}
	f.start(ln)
	s.reply("port " + f.addr)
	return nil
}

func (s *server) flakyDown() error {
	s.mu.Lock()
	f := s.flaky
	s.mu.Unlock()
	if f == nil {
		return errNoFlaky
	}
	f.down()
	s.reply("ok")
	return nil
}

// flakyUp parses "K SIZE", listens again and arms the measurement; the
// answer comes from the connection that completes it.
func (s *server) flakyUp(args []string) error {
	s.mu.Lock()
	f := s.flaky
	s.mu.Unlock()
	if f == nil {
		return errNoFlaky
	}
	if len(args) != 2 {
		return fmt.Errorf("flaky up wants K SIZE, got %q", args)
	}
	k, err1 := strconv.Atoi(args[0])
	size, err2 := strconv.Atoi(args[1])
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ln != nil {
		return errFlakyBusy
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	f.wait = &replayWait{want: k, size: size, back: time.Now()}
	f.startLocked(ln)
	return nil
}

func (f *flaky) start(ln net.Listener) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.startLocked(ln)
}

func (f *flaky) startLocked(ln net.Listener) {
	f.ln = ln
	f.s.wg.Add(1)
	go func() {
		defer f.s.wg.Done()
		f.s.acceptLoop(ln, f.serve)
	}()
}

// down closes the listener and every connection it accepted, without a
// close frame.
func (f *flaky) down() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ln != nil {
		_ = f.ln.Close()
		f.ln = nil
	}
	for nc := range f.conns {
		_ = nc.Close()
	}
	f.wait = nil
}

// serve holds one flaky connection: it counts the replayed messages
// toward the measurement in progress.
func (f *flaky) serve(c *connState) {
	f.mu.Lock()
	if f.ln == nil {
		f.mu.Unlock()
		return
	}
	f.conns[c.NC] = struct{}{}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.conns, c.NC)
		f.mu.Unlock()
	}()
	for {
		op, p, err := c.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		if line := f.record(op, p, now); line != "" {
			f.s.reply(line)
		}
	}
}

// record counts one message and returns the answer line once the
// measurement is complete.
func (f *flaky) record(op byte, p []byte, now time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.wait
	if w == nil || w.done {
		return ""
	}
	if w.got == 0 {
		w.first = now
	}
	var bad error
	if op != wsraw.OpBinary {
		bad = fmt.Errorf("message %d: opcode %d, want binary", w.got, op)
	} else {
		bad = payload.Check(p, w.size, uint64(w.got))
	}
	w.got++
	if bad != nil {
		w.done = true
		return "replay-bad " + bad.Error()
	}
	if w.got < w.want {
		return ""
	}
	w.done = true
	return "replay " + strconv.FormatInt(int64(w.first.Sub(w.back)), 10) + " " + strconv.FormatInt(int64(now.Sub(w.back)), 10)
}
