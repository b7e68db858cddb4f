package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/sturdyws/sturdy/bench/internal/cpupin"
)

// serverProc is the benchmark server running as a child process: this
// binary re-executed with serveEnv set. It is controlled one command line
// at a time over its stdin and answers on its stdout; it exits when its
// stdin closes.
type serverProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // the server's stdout, one line each
	done  chan struct{}
	mu    sync.Mutex // one command at a time
	addr  string
}

// startServer starts the child and waits for its address.
func startServer(ctx context.Context) (*serverProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), serveEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &serverProc{cmd: cmd, stdin: stdin, lines: make(chan string, 16), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	first, err := s.next(ctx, 10*time.Second)
	if err != nil {
		_ = s.stop()
		return nil, err
	}
	addr, ok := strings.CutPrefix(first, "listen ")
	if !ok {
		_ = s.stop()
		return nil, fmt.Errorf("server said %q, want listen ADDR", first)
	}
	s.addr = addr
	return s, nil
}

// errServerGone reports a server process that has exited.
var errServerGone = errors.New("bench server exited")

// next waits for the server's next line.
func (s *serverProc) next(ctx context.Context, timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case l, ok := <-s.lines:
		if !ok {
			return "", errServerGone
		}
		return l, nil
	case <-t.C:
		return "", fmt.Errorf("bench server: no answer in %v", timeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Do sends one command and returns the answer.
func (s *serverProc) Do(ctx context.Context, cmd string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.stdin, cmd+"\n"); err != nil {
		return "", err
	}
	ans, err := s.next(ctx, 15*time.Second)
	if err == nil && strings.HasPrefix(ans, "error ") {
		err = fmt.Errorf("bench server: %s", ans)
	}
	return ans, err
}

// pinBoth confines this process and the server to CPU 0 and returns the
// function that lets both go (see cpupin for why echo wants it).
func (s *serverProc) pinBoth(ctx context.Context) (func() error, error) {
	unpin, err := cpupin.Pin(0)
	if err != nil {
		return nil, err
	}
	if _, err := s.Do(ctx, "pin 0"); err != nil {
		return nil, errors.Join(err, unpin())
	}
	return func() error {
		_, err := s.Do(context.Background(), "pin off")
		return errors.Join(err, unpin())
	}, nil
}

// stop closes the server's stdin and waits for it to exit. The stdout
// reader must see EOF before Wait, which closes the pipe.
func (s *serverProc) stop() error {
	_ = s.stdin.Close()
	go func() {
		for range s.lines { // drain what the server still says
		}
	}()
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-s.done:
		return s.cmd.Wait()
	case <-t.C:
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("bench server did not exit, killed: %v", s.cmd.Wait())
	}
}
