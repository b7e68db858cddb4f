package client

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sturdyws/sturdy/transport"
)

// The rows of DefaultShouldReconnect's table for proxies and TLS, with
// the causes wrapped as Dial wraps them.
func TestDefaultShouldReconnectProxyAndTLS(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("transport: dial wss://example.test/: %w", err) }
	verify := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	cases := []struct {
		name  string
		cause error
		want  bool
	}{
		{"server certificate fails verification", wrap(fmt.Errorf("TLS handshake: %w", verify)), false},
		{"proxy certificate fails verification", wrap(fmt.Errorf("proxy TLS handshake: %w", verify)), false},
		{"proxy 407", wrap(&transport.ProxyAuthError{StatusCode: 407}), false},
		{"SOCKS5 credentials refused", wrap(&transport.ProxyAuthError{}), false},
		{"SOCKS5 no acceptable method", wrap(&transport.ProxyAuthError{NoAcceptableMethod: true}), false},
		{"proxy 403", wrap(&transport.ProxyError{StatusCode: 403}), false},
		{"proxy 408", wrap(&transport.ProxyError{StatusCode: 408}), true},
		{"proxy 429", wrap(&transport.ProxyError{StatusCode: 429}), true},
		{"proxy 502", wrap(&transport.ProxyError{StatusCode: 502}), true},
		{"proxy 503", wrap(&transport.ProxyError{StatusCode: 503}), true},
		{"SOCKS5 general failure", wrap(&transport.ProxyError{SOCKSReply: 1}), true},
		{"SOCKS5 not allowed by ruleset", wrap(&transport.ProxyError{SOCKSReply: 2}), false},
		{"SOCKS5 network unreachable", wrap(&transport.ProxyError{SOCKSReply: 3}), true},
		{"SOCKS5 host unreachable", wrap(&transport.ProxyError{SOCKSReply: 4}), true},
		{"SOCKS5 connection refused", wrap(&transport.ProxyError{SOCKSReply: 5}), true},
		{"SOCKS5 TTL expired", wrap(&transport.ProxyError{SOCKSReply: 6}), true},
		{"SOCKS5 command not supported", wrap(&transport.ProxyError{SOCKSReply: 7}), false},
		{"SOCKS5 address type not supported", wrap(&transport.ProxyError{SOCKSReply: 8}), false},
		{"client certificate could not be loaded", wrap(fmt.Errorf("TLS handshake: %w", fmt.Errorf("loading client certificate: no such file"))), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, DefaultShouldReconnect(tc.cause), "got reconnect=%v, want %v", !tc.want, tc.want)
		})
	}
}
