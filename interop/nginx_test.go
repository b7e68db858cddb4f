package interop

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// skipNginxEnv, set to 1, skips the nginx test on a machine without nginx
// (with a message, never silently). CI installs nginx and never sets it.
const skipNginxEnv = "STURDY_INTEROP_SKIP_NGINX"

// TestNginxProxy runs the peer suite against a gorilla echo server behind
// nginx as a WebSocket reverse proxy. The suite's restart step kills the
// backend while nginx stays up, so the client's reconnects get 502 from
// nginx until the backend is back; the test checks that it saw them and
// that the queue was still replayed in order.
func TestNginxProxy(t *testing.T) {
	bin := requireNginx(t)
	var once sync.Once
	var front string
	via := func(t *testing.T, backend string) string {
		once.Do(func() { front = startNginx(t, bin, backend) })
		return front
	}
	peerSuite(t, gorillaPeer, suiteOptions{via: via, restartStatus: 502})
}

func requireNginx(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr == nil {
			return "/usr/sbin/nginx"
		}
		msg := "nginx unavailable: install it (apt-get install -y nginx-light)"
		if os.Getenv(skipNginxEnv) == "1" {
			t.Skip(msg + "; skipped because " + skipNginxEnv + "=1")
		}
		t.Fatal(msg)
	}
	return bin
}

// nginxPrelude is the start of every nginx configuration of the tests: in
// the foreground, one worker, everything under the prefix %[1]s, and the
// Connection header a WebSocket upgrade needs passed on. The http block is
// left open for a server block.
const nginxPrelude = `daemon off;
master_process on;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[1]s/tmp/body;
	proxy_temp_path %[1]s/tmp/proxy;
	fastcgi_temp_path %[1]s/tmp/fastcgi;
	uwsgi_temp_path %[1]s/tmp/uwsgi;
	scgi_temp_path %[1]s/tmp/scgi;
	map $http_upgrade $connection_upgrade {
		default upgrade;
		''      close;
	}
`

// nginxConf proxies WebSocket upgrades to the backend: HTTP/1.1 upstream,
// Upgrade and Connection passed on (nginx drops hop-by-hop headers
// otherwise), and long timeouts so an idle tunnel is not cut mid-test.
const nginxConf = nginxPrelude + `	server {
		listen %[2]s;
		location / {
			proxy_pass http://%[3]s;
			proxy_http_version 1.1;
			proxy_set_header Upgrade $http_upgrade;
			proxy_set_header Connection $connection_upgrade;
			proxy_buffering off;
			proxy_read_timeout 300s;
			proxy_send_timeout 300s;
		}
	}
}
`

// startNginx runs nginx in the foreground with a temporary prefix and
// config, listening on a free loopback port, and returns its address. It
// is stopped (SIGQUIT is a graceful stop; SIGTERM a fast one) when t ends.
func startNginx(t *testing.T, bin, backend string) string {
	t.Helper()
	for try := 0; try < 3; try++ {
		addr := freePort(t)
		dir := t.TempDir()
		// Workers drop to an unprivileged user when nginx runs as root;
		// they must still reach the prefix.
		_ = os.Chmod(dir, 0o755)
		if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, dir, addr, backend)), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting nginx: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		err := waitListening(addr, exited)
		if err == nil {
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				<-exited
			})
			return addr
		}
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Logf("nginx on %s did not start (%v); error.log:\n%s", addr, err, log)
	}
	t.Fatal("nginx would not start")
	return ""
}

// freePort returns a loopback address whose port was free a moment ago.
// nginx cannot report a port it picked itself, so this is the usual
// compromise; startNginx retries if another process takes it first.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitListening waits until addr accepts TCP connections, or the program
// exits, or 15 s pass. nginx, squid and dante say nothing when they are
// ready, so this polls, with a growing interval.
func waitListening(addr string, exited <-chan error) error {
	deadline := time.Now().Add(15 * time.Second)
	wait := time.Millisecond
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		case <-time.After(wait):
		}
		wait = min(wait*2, 100*time.Millisecond)
	}
	return errors.New("not listening after 15s")
}
