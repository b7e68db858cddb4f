package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/sturdyws/sturdy/bench/internal/cpupin"
	"github.com/sturdyws/sturdy/bench/internal/wsraw"
)

// Buffer sizes: large, so the server is never what limits a client.
const (
	readBuffer  = 64 << 10
	writeBuffer = 64 << 10
)

// server owns the listeners, the connections and the goroutines serving
// them.
type server struct {
	out   *bufio.Writer // stdout, one line per answer
	outMu sync.Mutex
	wg    sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	flaky *flaky
	unpin func() error // set while the process is pinned to a CPU
}

// Serve runs the server until in closes: it listens on loopback, writes
// "listen ADDR" to out, then executes the commands read from in.
func Serve(in io.Reader, out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s := &server{out: bufio.NewWriter(out), conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.acceptLoop(ln, s.route)
	}()
	s.reply("listen " + ln.Addr().String())

	cmds := bufio.NewScanner(in)
	for cmds.Scan() {
		if err := s.command(strings.Fields(cmds.Text())); err != nil {
			s.reply("error " + err.Error())
		}
	}
	_ = ln.Close()
	s.mu.Lock()
	if s.flaky != nil {
		s.flaky.down()
	}
	for nc := range s.conns {
		_ = nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return cmds.Err()
}

// reply writes one line to the parent.
func (s *server) reply(line string) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	_, _ = s.out.WriteString(line + "\n")
	_ = s.out.Flush()
}

// acceptLoop serves every connection ln accepts with handle, until ln is
// closed.
func (s *server) acceptLoop(ln net.Listener, handle func(*connState)) {
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
			defer s.forget(nc)
			s.serveConn(nc, handle)
		}()
	}
}

// forget closes nc and drops it from the set.
func (s *server) forget(nc net.Conn) {
	_ = nc.Close()
	s.mu.Lock()
	delete(s.conns, nc)
	s.mu.Unlock()
}

// serveConn runs the handshake and hands the connection to handle.
func (s *server) serveConn(nc net.Conn, handle func(*connState)) {
	br := bufio.NewReaderSize(nc, readBuffer)
	ext := ""
	target, err := wsraw.ServerHandshakeExt(br, nc, func(target, offer string) string {
		ext = deflateResponse(target, offer)
		return ext
	})
	if err != nil {
		return
	}
	c := newConnState(nc, br, target)
	c.deflate = ext != ""
	handle(c)
}

// pin confines the server to CPU arg ("off": lets it go) and replies ok.
func (s *server) pin(arg string) error {
	if s.unpin != nil {
		if err := s.unpin(); err != nil {
			return err
		}
		s.unpin = nil
	}
	if arg != "off" {
		cpu, err := strconv.Atoi(arg)
		if err != nil {
			return fmt.Errorf("pin: %w", err)
		}
		if s.unpin, err = cpupin.Pin(cpu); err != nil {
			return err
		}
	}
	s.reply("ok")
	return nil
}

// errUnknownCommand reports a command line the server does not know.
var errUnknownCommand = errors.New("unknown command")

// command executes one control line.
func (s *server) command(f []string) error {
	if len(f) == 2 && f[0] == "pin" {
		return s.pin(f[1])
	}
	if len(f) < 2 || f[0] != "flaky" {
		return fmt.Errorf("%w: %q", errUnknownCommand, strings.Join(f, " "))
	}
	switch f[1] {
	case "open":
		return s.flakyOpen()
	case "down":
		return s.flakyDown()
	case "up":
		return s.flakyUp(f[2:])
	}
	return fmt.Errorf("%w: %q", errUnknownCommand, strings.Join(f, " "))
}
