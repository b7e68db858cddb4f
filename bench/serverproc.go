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

// serverProc is one of the benchmark's child processes (the benchmark
// server, the fleet server, the fleet's client process): this binary
// re-executed with an environment variable that says which. It is controlled one command line
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

// startServer starts the benchmark server and waits for its address.
func startServer(ctx context.Context) (*serverProc, error) {
	s, first, err := startChild(ctx, serveEnv+"=1")
	if err != nil {
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

// startChild starts this binary again with env (NAME=VALUE) added, as one
// of the benchmark's child processes, and returns it with the first line
// it said.
func startChild(ctx context.Context, env string) (*serverProc, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), env)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	s := &serverProc{cmd: cmd, stdin: stdin, lines: make(chan string, 16), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20) // a fleet server's buckets line can be long
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	first, err := s.next(ctx, 10*time.Second)
	if err != nil {
		_ = s.stop()
		return nil, "", err
	}
	return s, first, nil
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
	return s.DoWithin(ctx, cmd, 15*time.Second)
}

// DoWithin sends one command and returns the answer, waiting for it at
// most timeout.
func (s *serverProc) DoWithin(ctx context.Context, cmd string, timeout time.Duration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.stdin, cmd+"\n"); err != nil {
		return "", err
	}
	ans, err := s.next(ctx, timeout)
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

// kill ends the process with SIGKILL, as a crash or a kill -9 would, and
// waits for it.
func (s *serverProc) kill() error {
	_ = s.stdin.Close()
	go func() {
		for range s.lines { // drain what it still said
		}
	}()
	if err := s.cmd.Process.Kill(); err != nil {
		return err
	}
	<-s.done
	_ = s.cmd.Wait() // "signal: killed", as asked
	return nil
}
