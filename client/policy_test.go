package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
)

// One row per row of the design's reconnect policy table.
func TestDefaultShouldReconnect(t *testing.T) {
	closeErr := func(code transport.StatusCode) error { return &transport.CloseError{Code: code} }
	handshake := func(status int) error { return &transport.HandshakeError{StatusCode: status} }
	cases := []struct {
		name  string
		cause error
		want  bool
	}{
		{"EOF without close frame (1006)", &transport.CloseError{Code: transport.StatusAbnormalClosure, Err: errors.New("EOF")}, true},
		{"dial refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{"DNS failure", &net.DNSError{Err: "no such host", Name: "example.invalid"}, true},
		{"invalid URL", fmt.Errorf("%w: no host", transport.ErrInvalidURL), false},
		{"heartbeat timeout", &transport.CloseError{Code: transport.StatusAbnormalClosure, Err: heartbeat.ErrDead}, true},
		{"1001 going away", closeErr(1001), true},
		{"1011 internal error", closeErr(1011), true},
		{"1012 service restart", closeErr(1012), true},
		{"1013 try again later", closeErr(1013), true},
		{"1014 bad gateway", closeErr(1014), true},
		{"1000 normal", closeErr(1000), false},
		{"1005 no status", closeErr(1005), false},
		{"1002 protocol error", closeErr(1002), false},
		{"1003 unsupported data", closeErr(1003), false},
		{"1007 invalid payload", closeErr(1007), false},
		{"1008 policy violation", closeErr(1008), false},
		{"1009 too big", closeErr(1009), false},
		{"1010 mandatory extension", closeErr(1010), false},
		{"4000 application", closeErr(4000), false},
		{"4999 application", closeErr(4999), false},
		{"server broke the protocol", &transport.ProtocolError{Code: 1002, Msg: "masked frame"}, false},
		{"handshake 400", handshake(400), false},
		{"handshake 401", handshake(401), false},
		{"handshake 403", handshake(403), false},
		{"handshake 404", handshake(404), false},
		{"handshake 408", handshake(408), true},
		{"handshake 429", handshake(429), true},
		{"handshake 500", handshake(500), true},
		{"handshake 502", handshake(502), true},
		{"handshake 503", handshake(503), true},
		{"bad 101", &transport.HandshakeError{StatusCode: 101, Msg: "wrong accept"}, false},
		{"OnConnect failed", &OnConnectError{Err: errors.New("auth rejected")}, true},
		{"Close", ErrClosed, false},
		{"context cancelled", fmt.Errorf("wrapped: %w", context.Canceled), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, DefaultShouldReconnect(tc.cause), "cause %v", tc.cause)
		})
	}
}

func TestPolicyHelpers(t *testing.T) {
	assert.True(t, isNormalClosure(&transport.CloseError{Code: 1000}))
	assert.True(t, isNormalClosure(&transport.CloseError{Code: 1005}))
	assert.False(t, isNormalClosure(&transport.CloseError{Code: 1001}))
	assert.True(t, isAuthFailure(&transport.HandshakeError{StatusCode: 401}))
	assert.True(t, isAuthFailure(&transport.HandshakeError{StatusCode: 403}))
	assert.False(t, isAuthFailure(&transport.HandshakeError{StatusCode: 404}))
	assert.True(t, isTryAgainLater(&transport.CloseError{Code: 1013}))
	assert.Equal(t, 7*1e9, float64(retryAfter(&transport.HandshakeError{StatusCode: 429, RetryAfter: 7e9})))
}

func TestDispatcherRunsInOrderAndDrainsOnStop(t *testing.T) {
	d := newDispatcher()
	var got []int
	for i := range 100 {
		d.schedule(func() { got = append(got, i) })
	}
	d.stop()
	want := make([]int, 100)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, got)
	d.schedule(func() { t.Error("ran after stop") })
}

func TestStateStrings(t *testing.T) {
	assert.Equal(t, "Reconnecting", Reconnecting.String())
	assert.Equal(t, "State(9)", State(9).String())
	assert.True(t, Failed.Final())
	assert.False(t, Connected.Final())
	assert.Equal(t, "Unconfirmed", ReasonUnconfirmed.String())
	assert.Equal(t, "AtLeastOnce", AtLeastOnce.String())
}
