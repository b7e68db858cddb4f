package transport

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// junkServer answers every connection with bytes that are no protocol
// at all, then hangs up.
func junkServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer nc.Close()
				_, _ = io.WriteString(nc, "\x07junk\r\nHTTP/9 nonsense\r\n\r\n")
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// Whatever the proxy kind and however the dial fails before the proxy
// grants a tunnel (nothing listening, an answer that is no protocol), the
// error names neither the proxy's user nor its password.
func TestDialProxyErrorsHoldNoCredentials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	ln.Close()
	junk := junkServer(t)
	for _, scheme := range []string{"http", "https", "socks5", "socks5h"} {
		for name, addr := range map[string]string{"refused": closed, "junk": junk} {
			t.Run(scheme+"/"+name, func(t *testing.T) {
				p := &url.URL{Scheme: scheme, Host: addr, User: url.UserPassword("uSERNAMEu", "pASSWORDp")}
				_, _, err := dialTest(t, "wss://127.0.0.1:9/", &DialOptions{Proxy: proxyIs(p)})
				require.Error(t, err)
				assert.NotContains(t, err.Error(), "uSERNAMEu")
				assert.NotContains(t, err.Error(), "pASSWORDp")
			})
		}
	}
}
