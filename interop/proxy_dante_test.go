package interop

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"testing"

	"github.com/sturdyws/sturdy/transport"
)

// danteConf: SOCKS5 on loopback requiring RFC 1929 username/password,
// which dante checks against the system password database.
const danteConf = `logoutput: %[1]s/danted.log
internal: %[2]s port = %[3]s
external: 127.0.0.1
socksmethod: username
clientmethod: none
user.privileged: %[4]s
user.unprivileged: %[5]s
client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }
`

// nssWrapperLibs are where Debian's libnss-wrapper puts the library.
var nssWrapperLibs = []string{
	"/usr/lib/x86_64-linux-gnu/libnss_wrapper.so",
	"/usr/lib/aarch64-linux-gnu/libnss_wrapper.so",
	"/usr/lib/libnss_wrapper.so",
}

// startDante runs dante's sockd for user and pass. dante checks a
// password with getpwnam and getspnam, that is against the system's
// users; rather than add a user to the machine, the test runs sockd
// under nss_wrapper (LD_PRELOAD), which answers those calls from a
// passwd, group and shadow file of the test's own: the machine's users
// (sockd switches to root and nobody) plus one for the test.
func startDante(t *testing.T, name, pass string) *daemon {
	bin := requireBinary(t, "danted", "dante-server")
	lib := ""
	for _, l := range nssWrapperLibs {
		if _, err := os.Stat(l); err == nil {
			lib = l
		}
	}
	if lib == "" {
		msg := "libnss_wrapper.so unavailable: install it (apt-get install -y libnss-wrapper)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI must have it (.ci/run installs it)")
		}
		t.Skip(msg + "; skipped outside CI")
	}
	dir := sharedTempDir(t)
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	group, err := os.ReadFile("/etc/group")
	if err != nil {
		t.Fatal(err)
	}
	writePasswd(t, filepath.Join(dir, "passwd"), string(passwd)+name+":x:4242:4242:sturdy test:/nonexistent:/usr/sbin/nologin\n")
	writePasswd(t, filepath.Join(dir, "group"), string(group)+name+":x:4242:\n")
	// Only the test's user: the machine's shadow file is never copied.
	writePasswd(t, filepath.Join(dir, "shadow"), name+":"+cryptPassword(t, pass)+":19000:0:99999:7:::\n")
	privileged, unprivileged := "root", "nobody"
	if os.Geteuid() != 0 {
		// Without root sockd cannot switch users: name the current one.
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		privileged, unprivileged = u.Username, u.Username
	}
	return startDaemon(t, func(addrs []string) *daemon {
		host, port, _ := net.SplitHostPort(addrs[0])
		conf := filepath.Join(dir, "danted.conf")
		writePasswd(t, conf, fmt.Sprintf(danteConf, dir, host, port, privileged, unprivileged))
		return &daemon{name: "danted", bin: bin,
			args: []string{"-f", conf, "-p", filepath.Join(dir, "danted.pid")},
			env: []string{"LD_PRELOAD=" + lib, "NSS_WRAPPER_PASSWD=" + filepath.Join(dir, "passwd"),
				"NSS_WRAPPER_GROUP=" + filepath.Join(dir, "group"), "NSS_WRAPPER_SHADOW=" + filepath.Join(dir, "shadow")},
			listen: addrs, logFile: filepath.Join(dir, "danted.log")}
	}, 1)
}

// TestDanteSOCKS5 goes through dante as a socks5h:// proxy with
// username/password: echo of every size, a dante restart mid-session
// with the Client's queue replayed in order, and wrong credentials,
// which end the Client after one attempt with a *transport.ProxyAuthError.
func TestDanteSOCKS5(t *testing.T) {
	name, pass := "sturdy", randomSecret()
	dante := startDante(t, name, pass)
	backend := gorillaPeer.start(t, "127.0.0.1:0")
	target := "ws://" + backend.addr() + "/echo"
	proxy := &url.URL{Scheme: "socks5h", Host: dante.listen[0], User: url.UserPassword(name, pass)}
	dial := transport.DialOptions{Proxy: viaProxy(proxy)}

	t.Run("echo", func(t *testing.T) { echoThrough(t, target, dial) })
	t.Run("socks5-resolves-locally", func(t *testing.T) {
		// localhost is looked up here and dante is given the address
		// (/etc/hosts lists 127.0.0.1 first, where the backend listens).
		local := *proxy
		local.Scheme = "socks5"
		_, port, _ := net.SplitHostPort(backend.addr())
		echoThrough(t, "ws://localhost:"+port+"/echo", transport.DialOptions{Proxy: viaProxy(&local)})
	})
	t.Run("restart", func(t *testing.T) { restartReplayVia(t, dante.kill, dante.restart, target, dial) })
	t.Run("wrong-credentials", func(t *testing.T) {
		wrong := "wrong" + randomSecret()
		bad := &url.URL{Scheme: "socks5h", Host: dante.listen[0], User: url.UserPassword(name, wrong)}
		expectFailed(t, target, transport.DialOptions{Proxy: viaProxy(bad)}, func(t *testing.T, err error) {
			var pae *transport.ProxyAuthError
			if !errors.As(err, &pae) || pae.NoAcceptableMethod {
				t.Fatalf("got %v, want *ProxyAuthError for refused credentials", err)
			}
			assertNoSecret(t, err, wrong, pass)
		})
	})
	t.Run("no-credentials", func(t *testing.T) {
		bare := &url.URL{Scheme: "socks5h", Host: dante.listen[0]}
		expectFailed(t, target, transport.DialOptions{Proxy: viaProxy(bare)}, func(t *testing.T, err error) {
			var pae *transport.ProxyAuthError
			if !errors.As(err, &pae) || !pae.NoAcceptableMethod {
				t.Fatalf("got %v, want *ProxyAuthError with NoAcceptableMethod", err)
			}
		})
	})
}
