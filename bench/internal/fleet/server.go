package fleet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/wsraw"
)

// BucketWidth is the width of the server's handshake buckets.
const BucketWidth = 100 * time.Millisecond

// Per-connection buffers: small, since a fleet server holds thousands of
// quiet connections and only ever reads pings and writes pongs. The read
// buffer holds a handshake request (gorilla's and sturdy's are ~250 B).
const (
	serverReadBuffer  = 1024
	serverWriteBuffer = 256
)

// server is the fleet server: one listener, the connections it accepted,
// and what it counts.
type server struct {
	out   *bufio.Writer
	outMu sync.Mutex
	wg    sync.WaitGroup // the accept loop and every connection

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced whenever a count below changes
	ln         net.Listener
	listenAt   time.Time
	conns      map[net.Conn]struct{}
	reached    []int  // reached[k]: connections that have sent at least k+1 pings
	seen       []bool // seen[id]: member id has completed a handshake
	distinct   int    // ids seen
	nthAt      []time.Time
	handshakes int
	buckets    []int // handshakes per BucketWidth since listenAt
}

// Serve runs the fleet server until in closes: it says "ready" on out,
// then executes the commands read from in (see the package doc).
func Serve(in io.Reader, out io.Writer) error {
	// The server is the instrument: a collection in a fresh process whose
	// heap grows with every connection accepted stalled its accept loop
	// for 100–200 ms around the thousandth handshake of a restart, and the
	// next window then counted the backlog twice over (windows of 92 and
	// 44 between 600s and then 1,179, at 10,000 Clients), a peak that the
	// Clients' backoff did not make. With this headroom the run beside it
	// gave 1.37 where the one before gave 2.12.
	debug.SetGCPercent(800)
	s := &server{out: bufio.NewWriter(out), conns: map[net.Conn]struct{}{}, changed: make(chan struct{})}
	s.reply("ready")
	cmds := bufio.NewScanner(in)
	for cmds.Scan() {
		if err := s.command(strings.Fields(cmds.Text())); err != nil {
			s.reply("error " + err.Error())
		}
	}
	s.mu.Lock()
	if s.ln != nil {
		_ = s.ln.Close()
	}
	for nc := range s.conns {
		_ = nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return cmds.Err()
}

// errCommand reports a command line the server does not understand.
var errCommand = errors.New("bad command")

// command executes one control line.
func (s *server) command(f []string) error {
	ints := func(args []string) ([]int, error) {
		var out []int
		for _, a := range args {
			n, err := strconv.Atoi(a)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: %q", errCommand, strings.Join(f, " "))
			}
			out = append(out, n)
		}
		return out, nil
	}
	switch {
	case len(f) == 2 && f[0] == "listen":
		return s.listen(f[1])
	case len(f) == 4 && f[0] == "pings":
		a, err := ints(f[1:])
		if err != nil {
			return err
		}
		return s.waitPings(a[0], a[1], time.Duration(a[2])*time.Millisecond)
	case len(f) == 3 && f[0] == "back":
		a, err := ints(f[1:])
		if err != nil {
			return err
		}
		return s.waitBack(a[0], time.Duration(a[1])*time.Millisecond)
	case len(f) == 1 && f[0] == "buckets":
		s.mu.Lock()
		line := "buckets " + strconv.FormatInt(s.listenAt.UnixNano(), 10)
		for _, b := range s.buckets {
			line += " " + strconv.Itoa(b)
		}
		s.mu.Unlock()
		s.reply(line)
		return nil
	}
	return fmt.Errorf("%w: %q", errCommand, strings.Join(f, " "))
}

// reply writes one line to the parent.
func (s *server) reply(line string) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	_, _ = s.out.WriteString(line + "\n")
	_ = s.out.Flush()
}

// listen starts the one listener.
func (s *server) listen(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return errors.New("already listening")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln, s.listenAt = ln, time.Now()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.accept(ln)
	}()
	s.reply("listening " + ln.Addr().String())
	return nil
}

// wait blocks until done (called under mu) holds or limit passes; it
// returns with mu held.
func (s *server) wait(limit time.Duration, done func() bool) bool {
	t := time.NewTimer(limit)
	defer t.Stop()
	for !done() {
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
			s.mu.Lock()
		case <-t.C:
			s.mu.Lock()
			return done()
		}
	}
	return true
}

// errWait reports a wait that did not come true in time.
var errWait = errors.New("timed out")

func (s *server) waitPings(n, k int, limit time.Duration) error {
	if k == 0 {
		return fmt.Errorf("%w: pings wants K ≥ 1", errCommand)
	}
	s.mu.Lock()
	ok := s.wait(limit, func() bool { return len(s.reached) >= k && s.reached[k-1] >= n })
	have := 0
	if len(s.reached) >= k {
		have = s.reached[k-1]
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %d connections have sent %d pings after %v, want %d", errWait, have, k, limit, n)
	}
	s.reply(fmt.Sprintf("pings %d %d", n, k))
	return nil
}

func (s *server) waitBack(n int, limit time.Duration) error {
	if n == 0 {
		return fmt.Errorf("%w: back wants N ≥ 1", errCommand)
	}
	s.mu.Lock()
	ok := s.wait(limit, func() bool { return s.distinct >= n })
	have, hs := s.distinct, s.handshakes
	var at time.Time
	if ok {
		at = s.nthAt[n-1]
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %d members back after %v, want %d", errWait, have, limit, n)
	}
	s.reply(fmt.Sprintf("back %d %d", at.UnixNano(), hs))
	return nil
}

// bump wakes the waits; called under mu.
func (s *server) bump() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// accept serves every connection ln accepts, until ln is closed.
func (s *server) accept(ln net.Listener) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[nc] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(nc)
			_ = nc.Close()
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
		}()
	}
}

// serve runs one connection: the handshake, counted, then pongs for
// pings until the client closes or goes away.
func (s *server) serve(nc net.Conn) {
	br := bufio.NewReaderSize(nc, serverReadBuffer)
	target, err := wsraw.ServerHandshake(br, nc)
	if err != nil {
		return
	}
	s.handshake(memberID(target), time.Now())
	c := wsraw.NewConn(nc, br, serverWriteBuffer, false)
	pings := 0
	var p [125]byte
	for {
		h, err := wsraw.ReadHeader(c.BR)
		if err != nil {
			return
		}
		if h.Op < wsraw.OpClose { // data: no client here sends any, but drop it
			if _, err := c.BR.Discard(int(h.Length)); err != nil {
				return
			}
			continue
		}
		b := p[:h.Length] // ReadHeader refuses control frames over 125 bytes
		if _, err := io.ReadFull(c.BR, b); err != nil {
			return
		}
		if h.Masked {
			wsraw.Mask(b, h.Key, 0)
		}
		switch h.Op {
		case wsraw.OpPing:
			pings++
			s.pinged(pings)
			if c.WriteFlush(wsraw.OpPong, b) != nil {
				return
			}
		case wsraw.OpClose:
			_ = c.WriteFlush(wsraw.OpClose, b)
			return
		}
	}
}

// memberID reads the id query parameter of a request target, -1 when
// there is none.
func memberID(target string) int {
	_, q, _ := strings.Cut(target, "?")
	for _, kv := range strings.Split(q, "&") {
		if v, ok := strings.CutPrefix(kv, "id="); ok {
			if id, err := strconv.Atoi(v); err == nil && id >= 0 {
				return id
			}
		}
	}
	return -1
}

// handshake counts a completed handshake of member id at t.
func (s *server) handshake(id int, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handshakes++
	b := int(t.Sub(s.listenAt) / BucketWidth)
	for len(s.buckets) <= b {
		s.buckets = append(s.buckets, 0)
	}
	s.buckets[b]++
	if id >= 0 {
		for len(s.seen) <= id {
			s.seen = append(s.seen, false)
		}
		if !s.seen[id] {
			s.seen[id] = true
			s.distinct++
			s.nthAt = append(s.nthAt, t)
		}
	}
	s.bump()
}

// pinged counts a connection's nth ping.
func (s *server) pinged(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.reached) < n {
		s.reached = append(s.reached, 0)
	}
	s.reached[n-1]++
	s.bump()
}
