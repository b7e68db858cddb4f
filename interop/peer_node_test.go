package interop

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// skipNodeEnv, set to 1, skips the Node peer on a machine without node
// (with a message, never silently). CI installs node and never sets it.
const skipNodeEnv = "STURDY_INTEROP_SKIP_NODE"

// nodePeer is an echo server on Node's ws (interop/node/echo.js), the
// version pinned in interop/node/package-lock.json.
var nodePeer = peerSpec{name: "node-ws", start: startNodePeer}

// TestPeerNode runs the peer suite against Node's ws.
func TestPeerNode(t *testing.T) {
	requireNode(t)
	peerSuite(t, nodePeer, suiteOptions{})
}

// requireNode fails the test, loudly, when node or the npm packages are
// missing, unless skipNodeEnv says to skip.
func requireNode(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("node", "node_modules", "ws", "package.json"))
	}
	if err == nil {
		return
	}
	msg := "Node peer unavailable (" + err.Error() + "): install node (apt-get install -y nodejs npm) and run 'npm ci' in interop/node"
	if os.Getenv(skipNodeEnv) == "1" {
		t.Skip(msg + "; skipped because " + skipNodeEnv + "=1")
	}
	t.Fatal(msg)
}

// nodeServer is a running echo.js process.
type nodeServer struct {
	cmd    *exec.Cmd
	stdin  interface{ Close() error }
	port   string
	ch     chan int
	reader sync.WaitGroup
	once   sync.Once
}

func startNodePeer(t *testing.T, addr string) echoServer {
	t.Helper()
	_, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command("node", "echo.js", port)
	cmd.Dir = "node"
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node: %v", err)
	}
	s := &nodeServer{cmd: cmd, stdin: stdin, ch: make(chan int, 64)}
	ready := make(chan string, 1)
	s.reader.Add(1)
	go func() {
		defer s.reader.Done()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 2 {
				continue
			}
			switch f[0] {
			case "listening":
				ready <- f[1]
			case "closed":
				if code, err := strconv.Atoi(f[1]); err == nil {
					select {
					case s.ch <- code:
					default:
					}
				}
			}
		}
		close(ready)
	}()
	t.Cleanup(s.stop)
	select {
	case p, ok := <-ready:
		if !ok {
			t.Fatal("node exited before listening")
		}
		s.port = p
	case <-time.After(30 * time.Second):
		t.Fatal("node did not start listening within 30s")
	}
	return s
}

func (s *nodeServer) addr() string       { return "127.0.0.1:" + s.port }
func (s *nodeServer) closes() <-chan int { return s.ch }

// stop ends node the way a crash would end a server for its clients: it
// terminates every socket, then exits. Idempotent.
func (s *nodeServer) stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		_ = s.stdin.Close()
		s.reader.Wait()
		_ = s.cmd.Wait()
	})
}
