package interop

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sturdyws/sturdy/internal/testcert"
	"github.com/sturdyws/sturdy/transport"
)

// nginxMTLSConf terminates TLS for sturdy.test with client-certificate
// verification (ssl_verify_client on: a missing or untrusted certificate
// gets 400) and passes WebSocket upgrades to the backend, telling it the
// client certificate's subject and the SNI it received.
const nginxMTLSConf = nginxPrelude + `	server {
		listen %[2]s ssl;
		server_name sturdy.test;
		ssl_certificate %[1]s/server.crt;
		ssl_certificate_key %[1]s/server.key;
		ssl_client_certificate %[1]s/clients.crt;
		ssl_verify_client on;
		location / {
			proxy_pass http://%[3]s;
			proxy_http_version 1.1;
			proxy_set_header Upgrade $http_upgrade;
			proxy_set_header Connection $connection_upgrade;
			proxy_set_header X-Client-Subject $ssl_client_s_dn;
			proxy_set_header X-SNI $ssl_server_name;
			proxy_buffering off;
			proxy_read_timeout 300s;
			proxy_send_timeout 300s;
		}
	}
}
`

// mtlsBackend is a gorilla echo server that records, per connection, the
// client certificate subject and SNI nginx saw.
type mtlsBackend struct {
	srv      *httptest.Server
	mu       sync.Mutex
	subjects []string
	snis     []string
}

func (b *mtlsBackend) seen(r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subjects = append(b.subjects, r.Header.Get("X-Client-Subject"))
	b.snis = append(b.snis, r.Header.Get("X-SNI"))
}

// lastSubject is the client certificate subject of the latest connection.
func (b *mtlsBackend) lastSubject() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subjects) == 0 {
		return ""
	}
	return b.subjects[len(b.subjects)-1]
}

// startNginxMTLS runs nginx for backend with a server certificate for
// sturdy.test from serverCA, trusting client certificates from clientCA.
func startNginxMTLS(t *testing.T, backend string, serverCA, clientCA *testcert.CA) *daemon {
	bin := requireBinary(t, "nginx", "nginx-light")
	dir := sharedTempDir(t)
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o777); err != nil {
		t.Fatal(err)
	}
	serverCA.Server(t, "sturdy.test").WriteFiles(t, dir, "server")
	clientCA.WriteFile(t, dir, "clients")
	return startDaemon(t, func(addrs []string) *daemon {
		conf := filepath.Join(dir, "nginx.conf")
		writePasswd(t, conf, fmt.Sprintf(nginxMTLSConf, dir, addrs[0], backend))
		return &daemon{name: "nginx", bin: bin,
			args:   []string{"-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log")},
			listen: addrs, logFile: filepath.Join(dir, "error.log")}
	}, 1)
}

// TestNginxClientCertificates connects through nginx terminating TLS with
// client-certificate verification: custom roots for nginx's certificate,
// SNI, and a client certificate read by transport.ClientCertificateFiles.
// Echo; then nginx is killed mid-session, the certificate on disk is
// rotated while it is down, and once nginx is back the Client reconnects
// by itself, presents the new certificate (the backend sees its subject)
// and replays its queue in order. A client certificate nginx does not
// trust (400) and a server certificate the client does not trust end the
// Client after one attempt.
func TestNginxClientCertificates(t *testing.T) {
	serverCA, clientCA := testcert.NewCA(t, "server CA"), testcert.NewCA(t, "client CA")
	b := &mtlsBackend{}
	b.srv = httptest.NewServer(gorillaEcho(b.seen))
	t.Cleanup(b.srv.Close)
	ng := startNginxMTLS(t, b.srv.Listener.Addr().String(), serverCA, clientCA)
	_, port, _ := net.SplitHostPort(ng.listen[0])
	target := "wss://sturdy.test:" + port + "/echo"

	certDir := t.TempDir()
	certFile, keyFile := clientCA.Client(t, "agent-1").WriteFiles(t, certDir, "agent")
	// sturdy.test is resolved to nginx by the dialer, so the URL's host
	// is the name TLS verifies and sends as SNI.
	toNginx := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return new(net.Dialer).DialContext(ctx, network, ng.listen[0])
	}
	dial := transport.DialOptions{
		Proxy:          noProxy,
		NetDialContext: toNginx,
		TLSConfig: &tls.Config{
			RootCAs:              serverCA.Pool,
			GetClientCertificate: transport.ClientCertificateFiles(certFile, keyFile),
		},
	}

	t.Run("echo", func(t *testing.T) {
		echoThrough(t, target, dial)
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.snis) == 0 || b.snis[0] != "sturdy.test" {
			t.Fatalf("SNI seen by nginx: %v, want sturdy.test", b.snis)
		}
		if !strings.Contains(b.subjects[0], "CN=agent-1") {
			t.Fatalf("client subject %q, want CN=agent-1", b.subjects[0])
		}
	})
	t.Run("restart-with-rotated-certificate", func(t *testing.T) {
		var before string
		stop := func() {
			before = b.lastSubject()
			ng.kill()
			// Rotated while nginx is down, as a renewal agent would.
			clientCA.Client(t, "agent-2").WriteFiles(t, certDir, "agent")
		}
		restartReplayVia(t, stop, ng.restart, target, dial)
		if !strings.Contains(before, "CN=agent-1") {
			t.Fatalf("subject before the restart %q, want CN=agent-1", before)
		}
		if after := b.lastSubject(); !strings.Contains(after, "CN=agent-2") {
			t.Fatalf("subject after the restart %q, want CN=agent-2: the rotated certificate", after)
		}
	})
	t.Run("untrusted-client-certificate", func(t *testing.T) {
		stranger := testcert.NewCA(t, "stranger CA").Client(t, "intruder")
		bad := dial
		bad.TLSConfig = &tls.Config{RootCAs: serverCA.Pool, Certificates: []tls.Certificate{stranger.TLS}}
		expectFailed(t, target, bad, func(t *testing.T, err error) {
			var he *transport.HandshakeError
			if !errors.As(err, &he) || he.StatusCode != http.StatusBadRequest {
				t.Fatalf("got %v, want *HandshakeError 400 from nginx", err)
			}
		})
	})
	t.Run("untrusted-server-certificate", func(t *testing.T) {
		bad := dial
		bad.TLSConfig = &tls.Config{RootCAs: clientCA.Pool, GetClientCertificate: transport.ClientCertificateFiles(certFile, keyFile)}
		expectFailed(t, target, bad, func(t *testing.T, err error) {
			var cve *tls.CertificateVerificationError
			if !errors.As(err, &cve) {
				t.Fatalf("got %v, want *tls.CertificateVerificationError", err)
			}
		})
	})
}
