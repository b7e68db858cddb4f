package heartbeat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppLevelStrategies(t *testing.T) {
	mqttPing, mqttPong := []byte{0xC0, 0x00}, []byte{0xD0, 0x00}
	tests := []struct {
		name       string
		strategy   Strategy
		wantSent   []byte
		wantBinary bool
		pong       []byte   // the peer's reply
		notReplies [][]byte // ordinary traffic that must reach the application
	}{
		{
			name:       "text ping/pong",
			strategy:   Text("ping", "pong"),
			wantSent:   []byte("ping"),
			pong:       []byte("pong"),
			notReplies: [][]byte{[]byte("ping"), []byte("pong "), []byte("PONG"), []byte(`{"op":"pong"}`), nil},
		},
		{
			name:     "JSON op",
			strategy: JSON("op", "ping", "pong"),
			wantSent: []byte(`{"op":"ping"}`),
			pong:     []byte(`{"op":"pong"}`),
			notReplies: [][]byte{
				[]byte(`{"op":"ping"}`),
				[]byte(`{"op":"trade","px":"pong"}`),
				[]byte("pong"),
				nil,
			},
		},
		{
			name:       "JSON event with extra members in the reply",
			strategy:   JSON("event", "ping", "pong"),
			wantSent:   []byte(`{"event":"ping"}`),
			pong:       []byte(`{"event": "pong", "reqid": 42}`),
			notReplies: [][]byte{[]byte(`{"event":"heartbeat"}`)},
		},
		{
			name:       "custom binary (MQTT PINGREQ/PINGRESP)",
			strategy:   Strategy{Message: mqttPing, Binary: true, IsReply: func(p []byte) bool { return string(p) == string(mqttPong) }},
			wantSent:   mqttPing,
			wantBinary: true,
			pong:       mqttPong,
			notReplies: [][]byte{mqttPing, {0x30, 0x02, 'h', 'i'}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{Strategy: tt.strategy}, &fakePeer{pong: tt.pong, reply: firstN(3, 80*ms)})
			for _, msg := range tt.notReplies {
				assert.False(t, h.m.MessageReceived(msg), "%q is not a reply", msg)
			}

			h.advanceTo(70*s - 1)
			h.requireAlive()
			last, _ := h.m.RTT()
			assert.Equal(t, 80*ms, last, "RTT measured by order")
			for _, s := range h.peer.sentCopy() {
				assert.True(t, s.message, "sent as a data message")
				assert.Equal(t, tt.wantSent, s.payload)
				assert.Equal(t, tt.wantBinary, s.binary)
			}

			h.advance(1)
			var dead *DeadError
			require.ErrorAs(t, h.requireDead(), &dead)
			assert.Equal(t, 10*s, dead.Waited)
			assert.Equal(t, []time.Duration{15 * s, 30 * s, 45 * s, 60 * s}, h.sentAt())
			assert.True(t, h.m.MessageReceived(tt.pong), "replies are still recognised, to be swallowed")
		})
	}
}

func TestAppLevelIgnoresControlPongs(t *testing.T) {
	h := newHarness(t, Options{Strategy: Text("ping", "pong")}, &fakePeer{})
	h.advanceTo(16 * s)
	h.m.PongReceived([]byte{0, 0, 0, 0, 0, 0, 0, 1})
	h.m.PongReceived(nil)
	require.ErrorIs(t, h.dieAt(25*s), ErrDead)
}

func TestAppLevelUnsolicitedReply(t *testing.T) {
	h := newHarness(t, Options{Strategy: Text("ping", "pong")}, &fakePeer{})
	h.advanceTo(5 * s)
	assert.True(t, h.m.MessageReceived([]byte("pong")), "swallowed")
	require.ErrorIs(t, h.dieAt(25*s), ErrDead, "a reply before the ping proves nothing about it")
	last, _ := h.m.RTT()
	assert.Zero(t, last)
}

// In AnyFrame mode a ping can be abandoned while its reply is outstanding. With
// order matching the next reply may be the late one, so it must not be taken
// as a round trip for the newer ping.
func TestAppLevelKarnsRule(t *testing.T) {
	h := newHarness(t,
		Options{Mode: AnyFrame, Interval: 10 * s, Timeout: 30 * s, Strategy: Text("ping", "pong")},
		&fakePeer{pong: []byte("pong"), reply: func(n int) (time.Duration, bool) {
			switch n {
			case 1:
				return 15 * s, true // ping 1 at 10 s, reply at 25 s
			case 3:
				return 100 * ms, true
			}
			return 0, false
		}})
	h.every(1*s, 1*s, time.Minute, h.m.FrameReceived)

	h.advanceTo(20 * s)
	assert.Equal(t, []time.Duration{10 * s, 20 * s}, h.sentAt(), "ping 1 abandoned at the 20 s tick")
	h.advanceTo(29 * s)
	last, _ := h.m.RTT()
	assert.Zero(t, last, "the late reply to ping 1 is not a 5 s sample for ping 2")
	h.advanceTo(31 * s)
	last, _ = h.m.RTT()
	assert.Equal(t, 100*ms, last)
	h.requireAlive()
}

func TestJSONIsReply(t *testing.T) {
	isReply := JSON("op", "ping", "pong").IsReply
	tests := []struct {
		payload string
		want    bool
	}{
		{`{"op":"pong"}`, true},
		{` { "op" : "pong" , "ts" : 1700000000 } `, true},
		{`{"ts":1,"op":"pong","data":{"op":"x"}}`, true},
		{`{"op":"ping"}`, false},
		{`{"op":"pong"`, false},
		{`{"data":"pong"}`, false},
		{`{"op":{"inner":"pong"}}`, false},
		{`["pong"]`, false},
		{`"pong"`, false},
		{`{"op":"\u0070ong"}`, false}, // documented: the value must be spelled literally
		{``, false},
	}
	for _, tt := range tests {
		t.Run(tt.payload, func(t *testing.T) {
			assert.Equal(t, tt.want, isReply([]byte(tt.payload)))
		})
	}
}

func TestJSONMessage(t *testing.T) {
	tests := []struct {
		key, ping string
		want      string
	}{
		{"op", "ping", `{"op":"ping"}`},
		{"method", "public/heartbeat", `{"method":"public/heartbeat"}`},
		{"op", `a"b<c>`, `{"op":"a\"b<c>"}`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, string(JSON(tt.key, tt.ping, "pong").Message))
		})
	}
}
