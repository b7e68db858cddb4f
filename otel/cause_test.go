package otel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sturdyws/sturdy/client"
	"github.com/sturdyws/sturdy/heartbeat"
	"github.com/sturdyws/sturdy/transport"
)

// TestCause: every cause falls in one of a few classes, with a close code
// folded so the attribute has few values, whatever the error says.
func TestCause(t *testing.T) {
	dead := &transport.CloseError{Code: transport.StatusAbnormalClosure, Reason: "heartbeat timeout", Err: &heartbeat.DeadError{}}
	tests := []struct {
		err         error
		class, code string
	}{
		{nil, "", ""},
		{&transport.CloseError{Code: transport.StatusAbnormalClosure, Err: io.EOF}, causeAbnormal, "1006"},
		{dead, causeHeartbeat, "1006"},
		{&transport.CloseError{Code: transport.StatusServiceRestart, Reason: "bye"}, causeServerClose, "1012"},
		{&transport.CloseError{Code: 4001, Reason: "token for user 42 expired"}, causeServerClose, "4xxx"},
		{&transport.CloseError{Code: 3999}, causeServerClose, "3xxx"},
		{&transport.CloseError{Code: 2500}, causeServerClose, "other"},
		{&transport.ProtocolError{Code: transport.StatusMessageTooBig, Msg: "big"}, causeProtocol, "1009"},
		{fmt.Errorf("dial: %w", &transport.HandshakeError{StatusCode: 503}), causeHandshake, ""},
		{&client.OnConnectError{Err: client.ErrOnConnectTimeout}, causeOnConnect, ""},
		{&client.PanicError{Callback: "OnConnect", Value: "boom"}, causePanic, ""},
		{client.ErrClosed, causeCanceled, ""},
		{context.DeadlineExceeded, causeTimeout, ""},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, causeNetwork, ""},
		{errors.New("something else entirely"), causeOther, ""},
	}
	for _, tt := range tests {
		class, code := cause(tt.err)
		assert.Equal(t, tt.class, class, "%v", tt.err)
		assert.Equal(t, tt.code, code, "%v", tt.err)
	}
}

// TestSnake: Go names become attribute values.
func TestSnake(t *testing.T) {
	assert.Equal(t, "expired_unacked", snake(client.ReasonExpiredUnacked.String()))
	assert.Equal(t, "reconnecting", snake(client.Reconnecting.String()))
}
