package interop

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sturdyws/sturdy/internal/testcert"
	"github.com/sturdyws/sturdy/transport"
)

// squidConf: an HTTP port and a TLS port, both requiring Basic
// authentication checked by squid's own basic_ncsa_auth against a
// password file; no cache, no ICMP pinger, no grace period at shutdown.
// CONNECT is allowed to any port (the stock config's SSL_ports rule is
// left out: the tests' servers are on ephemeral ports).
const squidConf = `http_port %[2]s
https_port %[3]s tls-cert=%[1]s/proxy.crt tls-key=%[1]s/proxy.key
pid_filename %[1]s/squid.pid
cache_log %[1]s/cache.log
access_log none
cache deny all
cache_mem 8 MB
pinger_enable off
shutdown_lifetime 0 seconds
visible_hostname sturdy-interop
coredump_dir %[1]s
auth_param basic program %[4]s %[1]s/passwd
auth_param basic realm sturdy
acl authed proxy_auth REQUIRED
http_access allow authed
http_access deny all
`

// squidProxy is squid with Basic authentication on a plain HTTP port and
// on a TLS port (an https:// proxy), its certificate signed by ca.
type squidProxy struct {
	*daemon
	httpAddr, tlsAddr string
	ca                *testcert.CA
}

// startSquid runs squid for user and pass.
func startSquid(t *testing.T, user, pass string) *squidProxy {
	bin := requireBinary(t, "squid", "squid")
	helper := requireBinary(t, "basic_ncsa_auth", "squid")
	dir := sharedTempDir(t)
	ca := testcert.NewCA(t, "squid CA")
	ca.Server(t, "127.0.0.1").WriteFiles(t, dir, "proxy")
	writePasswd(t, filepath.Join(dir, "passwd"), user+":"+cryptPassword(t, pass)+"\n")
	sq := &squidProxy{ca: ca}
	sq.daemon = startDaemon(t, func(addrs []string) *daemon {
		conf := filepath.Join(dir, "squid.conf")
		writePasswd(t, conf, fmt.Sprintf(squidConf, dir, addrs[0], addrs[1], helper))
		sq.httpAddr, sq.tlsAddr = addrs[0], addrs[1]
		return &daemon{name: "squid", bin: bin, args: []string{"-N", "-f", conf},
			listen: addrs, logFile: filepath.Join(dir, "cache.log")}
	}, 2)
	return sq
}

// cryptPassword hashes pass as crypt(3) SHA-512 ($6$), which squid's
// basic_ncsa_auth and dante's system password check both verify, using
// openssl (Debian's openssl package; the password goes on stdin, not in
// the argument list).
func cryptPassword(t *testing.T, pass string) string {
	bin := requireBinary(t, "openssl", "openssl")
	cmd := exec.Command(bin, "passwd", "-6", "-stdin")
	cmd.Stdin = strings.NewReader(pass + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl passwd: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// sharedTempDir is a temporary directory that a daemon started as root
// can still use after it drops to its own unprivileged user (squid's
// "proxy" and its authenticator, dante's "nobody"): writable by all, and
// its parent, which the testing package makes 0700, passable by all.
func sharedTempDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writePasswd writes a file the proxy's unprivileged user can read.
func writePasswd(t *testing.T, path, content string) {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// randomSecret is a fresh password for one test: nothing to commit, and
// a leak into an error string would be noticed by value.
func randomSecret() string { return "pw" + rand.Text()[:16] }

// assertNoSecret fails if err's text holds any of the secrets.
func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q holds a secret", err)
		}
	}
}

// TestSquidHTTPProxy goes through squid as an http:// proxy with Basic
// authentication: echo of every size, then a client.Client that loses
// squid (killed mid-session, reconnect attempts refused) and gets it back
// on the same port, replaying its queue in order with nothing lost; and
// wrong credentials, which end the Client after one attempt with a
// *transport.ProxyAuthError (squid's 407).
func TestSquidHTTPProxy(t *testing.T) {
	user, pass := "sturdy", randomSecret()
	sq := startSquid(t, user, pass)
	backend := gorillaPeer.start(t, "127.0.0.1:0")
	target := "ws://" + backend.addr() + "/echo"
	proxy := &url.URL{Scheme: "http", Host: sq.httpAddr, User: url.UserPassword(user, pass)}
	dial := transport.DialOptions{Proxy: viaProxy(proxy)}

	t.Run("echo", func(t *testing.T) { echoThrough(t, target, dial) })
	t.Run("restart", func(t *testing.T) { restartReplayVia(t, sq.kill, sq.restart, target, dial) })
	t.Run("wrong-credentials", func(t *testing.T) {
		wrong := "wrong" + randomSecret()
		bad := &url.URL{Scheme: "http", Host: sq.httpAddr, User: url.UserPassword(user, wrong)}
		expectFailed(t, target, transport.DialOptions{Proxy: viaProxy(bad)}, func(t *testing.T, err error) {
			var pae *transport.ProxyAuthError
			if !errors.As(err, &pae) || pae.StatusCode != http.StatusProxyAuthRequired {
				t.Fatalf("got %v, want *ProxyAuthError 407", err)
			}
			assertNoSecret(t, err, wrong, pass)
		})
	})
}

// TestSquidHTTPSProxy goes through squid's TLS port as an https:// proxy:
// TLS to squid verified with the proxy's own CA, CONNECT with Basic
// authentication inside it, then TLS to a wss server, verified with the
// server's CA, inside the tunnel. Echo, a squid restart mid-session with
// the queue replayed, wrong credentials, and a proxy certificate that
// does not verify (both permanent, after one attempt).
func TestSquidHTTPSProxy(t *testing.T) {
	user, pass := "sturdy", randomSecret()
	sq := startSquid(t, user, pass)
	serverCA := testcert.NewCA(t, "server CA")
	backend := httptest.NewUnstartedServer(gorillaEcho(nil))
	backend.TLS = &tls.Config{Certificates: []tls.Certificate{serverCA.Server(t, "127.0.0.1").TLS}}
	backend.StartTLS()
	t.Cleanup(backend.Close)
	target := "wss://" + backend.Listener.Addr().String() + "/echo"
	proxy := &url.URL{Scheme: "https", Host: sq.tlsAddr, User: url.UserPassword(user, pass)}
	dial := transport.DialOptions{
		Proxy:          viaProxy(proxy),
		ProxyTLSConfig: &tls.Config{RootCAs: sq.ca.Pool},
		TLSConfig:      &tls.Config{RootCAs: serverCA.Pool},
	}

	t.Run("echo", func(t *testing.T) { echoThrough(t, target, dial) })
	t.Run("restart", func(t *testing.T) { restartReplayVia(t, sq.kill, sq.restart, target, dial) })
	t.Run("wrong-credentials", func(t *testing.T) {
		wrong := "wrong" + randomSecret()
		bad := dial
		bad.Proxy = viaProxy(&url.URL{Scheme: "https", Host: sq.tlsAddr, User: url.UserPassword(user, wrong)})
		expectFailed(t, target, bad, func(t *testing.T, err error) {
			var pae *transport.ProxyAuthError
			if !errors.As(err, &pae) || pae.StatusCode != http.StatusProxyAuthRequired {
				t.Fatalf("got %v, want *ProxyAuthError 407", err)
			}
			assertNoSecret(t, err, wrong, pass)
		})
	})
	t.Run("untrusted-proxy", func(t *testing.T) {
		bad := dial
		bad.ProxyTLSConfig = &tls.Config{RootCAs: serverCA.Pool} // the server's CA did not sign squid's
		expectFailed(t, target, bad, func(t *testing.T, err error) {
			var cve *tls.CertificateVerificationError
			if !errors.As(err, &cve) {
				t.Fatalf("got %v, want *tls.CertificateVerificationError", err)
			}
			assertNoSecret(t, err, pass)
		})
	})
}
