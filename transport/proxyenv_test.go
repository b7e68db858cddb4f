package transport

import (
	"net"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvProxy(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	tests := []struct {
		name string
		url  string
		env  func(string) string
		want string // "" for a direct connection
	}{
		{"nothing set", "https://a.test/", env(), ""},
		{"https for wss", "https://a.test/", env("HTTPS_PROXY", "http://p:1", "HTTP_PROXY", "http://q:2"), "http://p:1"},
		{"http for ws", "http://a.test/", env("HTTPS_PROXY", "http://p:1", "HTTP_PROXY", "http://q:2"), "http://q:2"},
		{"lower case", "https://a.test/", env("https_proxy", "https://p:1"), "https://p:1"},
		{"upper case first", "https://a.test/", env("HTTPS_PROXY", "http://up:1", "https_proxy", "http://low:1"), "http://up:1"},
		{"ALL_PROXY for wss", "https://a.test/", env("ALL_PROXY", "socks5h://s:1080"), "socks5h://s:1080"},
		{"ALL_PROXY for ws", "http://a.test/", env("all_proxy", "socks5://s:1080"), "socks5://s:1080"},
		{"ALL_PROXY after the scheme's own", "http://a.test/", env("HTTP_PROXY", "http://q:2", "ALL_PROXY", "socks5://s:1080"), "http://q:2"},
		{"no scheme means http", "https://a.test/", env("HTTPS_PROXY", "proxy.test:3128"), "http://proxy.test:3128"},
		{"user info kept", "https://a.test/", env("ALL_PROXY", "socks5h://bob:pw@s:1080"), "socks5h://bob:pw@s:1080"},
		{"CGI ignores HTTP_PROXY", "http://a.test/", env("HTTP_PROXY", "http://q:2", "REQUEST_METHOD", "GET"), ""},
		{"CGI keeps HTTPS_PROXY", "https://a.test/", env("HTTPS_PROXY", "http://p:1", "REQUEST_METHOD", "GET"), "http://p:1"},
		{"localhost direct", "https://localhost:8443/", env("ALL_PROXY", "socks5://s:1"), ""},
		{"loopback direct", "https://127.0.0.2/", env("ALL_PROXY", "socks5://s:1"), ""},
		{"IPv6 loopback direct", "https://[::1]/", env("ALL_PROXY", "socks5://s:1"), ""},
		{"NO_PROXY star", "https://a.test/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "*"), ""},
		{"NO_PROXY domain", "https://a.test/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "x.test, a.test"), ""},
		{"NO_PROXY domain covers subdomains", "https://b.a.test/", env("ALL_PROXY", "socks5://s:1", "no_proxy", "a.test"), ""},
		{"NO_PROXY domain is not a suffix of a word", "https://ba.test/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "a.test"), "socks5://s:1"},
		{"NO_PROXY leading dot: subdomains only", "https://a.test/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", ".a.test"), "socks5://s:1"},
		{"NO_PROXY leading dot matches subdomain", "https://b.a.test/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", ".a.test"), ""},
		{"NO_PROXY star dot", "https://b.a.test/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "*.a.test"), ""},
		{"NO_PROXY case", "https://A.Test/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "a.TEST"), ""},
		{"NO_PROXY port matches", "https://a.test/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "a.test:443"), ""},
		{"NO_PROXY port differs", "https://a.test:8443/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "a.test:443"), "socks5://s:1"},
		{"NO_PROXY IP", "https://10.1.2.3/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "10.1.2.3"), ""},
		{"NO_PROXY other IP", "https://10.1.2.4/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "10.1.2.3"), "socks5://s:1"},
		{"NO_PROXY CIDR", "https://10.1.2.4/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "10.0.0.0/8"), ""},
		{"NO_PROXY CIDR misses", "https://11.1.2.4/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "10.0.0.0/8"), "socks5://s:1"},
		{"NO_PROXY IPv6", "https://[2001:db8::1]/", env("ALL_PROXY", "socks5://s:1", "NO_PROXY", "2001:db8::/32"), ""},
		{"NO_PROXY applies to HTTPS_PROXY", "https://a.test/", env("HTTPS_PROXY", "http://p:1", "NO_PROXY", "a.test"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			require.NoError(t, err)
			got, err := envProxy(u, tt.env)
			require.NoError(t, err)
			if tt.want == "" {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, tt.want, got.String())
		})
	}
}

func TestEnvProxyInvalid(t *testing.T) {
	u, _ := url.Parse("https://a.test/")
	_, err := envProxy(u, func(k string) string {
		if k == "ALL_PROXY" {
			return "socks5://bob:s3cret@%zz"
		}
		return ""
	})
	require.ErrorIs(t, err, ErrInvalidURL)
	assert.NotContains(t, err.Error(), "s3cret")
	assert.Contains(t, err.Error(), "ALL_PROXY")
}

// The default Proxy is ProxyFromEnvironment, read at each dial: ALL_PROXY
// set by the test takes a dial with nil options through a SOCKS5 proxy
// with credentials. The target is example.test, which only the proxy
// resolves (loopback targets are never proxied).
func TestDialUsesALLPROXY(t *testing.T) {
	target := echoServer(t)
	proxy := newSOCKSProxy(t, "bob", "pw")
	_, port, _ := net.SplitHostPort(target.Listener.Addr().String())
	name := net.JoinHostPort("example.test", port)
	proxy.hosts = map[string]string{name: target.Listener.Addr().String()}
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "all_proxy", "REQUEST_METHOD"} {
		t.Setenv(k, "")
	}
	t.Setenv("ALL_PROXY", "socks5h://bob:pw@"+proxy.ln.Addr().String())

	c, _, err := dialTest(t, "ws://"+name+"/", &DialOptions{Subprotocols: []string{"echo"}})
	require.NoError(t, err)
	echoRoundTrip(t, c, "from the environment")
	require.Len(t, proxy.requests(), 1)
	assert.Equal(t, "example.test", proxy.requests()[0].host)

	t.Setenv("NO_PROXY", "example.test")
	_, _, err = dialTest(t, "ws://"+name+"/", nil)
	require.Error(t, err, "NO_PROXY sends it direct, where example.test does not resolve to the server")
	assert.Len(t, proxy.requests(), 1, "the proxy was not asked again")
}
