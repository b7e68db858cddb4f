package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sturdyws/sturdy/transport"
)

// The monitor is given PingSpan only where BytesWritten counts the
// socket's own bytes: over ws, not over wss, where it counts plaintext
// against the kernel's ciphertext (heartbeat.SpanPinger).
func TestSocketBytesOnlyWithoutTLS(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  func(http.Handler) *httptest.Server
		want bool
	}{{"ws", httptest.NewServer, true}, {"wss", httptest.NewTLSServer, false}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.srv(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, err := transport.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer conn.CloseNow()
				_, _, _ = conn.Read(r.Context())
			}))
			t.Cleanup(srv.Close)
			opts := &transport.DialOptions{}
			if !tc.want {
				opts.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
			}
			url := strings.Replace(strings.Replace(srv.URL, "https", "wss", 1), "http:", "ws:", 1)
			conn, _, err := transport.Dial(context.Background(), url, opts)
			require.NoError(t, err)
			defer conn.CloseNow()
			assert.Equal(t, tc.want, socketBytes(conn))
		})
	}
}
