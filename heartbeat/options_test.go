package heartbeat

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fields lists the Field of every OptionError in err, which Validate may have
// joined.
func fields(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		var oe *OptionError
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				walk(e)
			}
		} else if errors.As(err, &oe) {
			out = append(out, oe.Field)
		}
	}
	walk(err)
	return out
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		wantFields []string // nil: valid
	}{
		{name: "zero value", opts: Options{}},
		{name: "timeout above interval is allowed", opts: Options{Interval: time.Second, Timeout: time.Minute}},
		{name: "MinTimeout without AdaptiveTimeout is ignored", opts: Options{MinTimeout: time.Hour}},
		{name: "adaptive with MinTimeout equal to Timeout", opts: Options{AdaptiveTimeout: true, MinTimeout: 3 * s, Timeout: 3 * s}},
		{name: "adaptive with a Timeout below the default floor", opts: Options{AdaptiveTimeout: true, Timeout: time.Second}},
		{name: "application strategy", opts: Options{Strategy: Text("ping", "pong")}},
		{name: "negative interval", opts: Options{Interval: -1}, wantFields: []string{"Interval"}},
		{name: "negative timeout", opts: Options{Timeout: -time.Second}, wantFields: []string{"Timeout"}},
		{name: "negative MinTimeout", opts: Options{MinTimeout: -1}, wantFields: []string{"MinTimeout"}},
		{name: "unknown mode", opts: Options{Mode: Mode(7)}, wantFields: []string{"Mode"}},
		{name: "MinTimeout above Timeout", opts: Options{AdaptiveTimeout: true, MinTimeout: 5 * s, Timeout: 4 * s}, wantFields: []string{"MinTimeout"}},
		{name: "MinTimeout above the default Timeout", opts: Options{AdaptiveTimeout: true, MinTimeout: 11 * s}, wantFields: []string{"MinTimeout"}},
		{name: "message without IsReply", opts: Options{Strategy: Strategy{Message: []byte("ping")}}, wantFields: []string{"Strategy"}},
		{name: "binary without IsReply", opts: Options{Strategy: Strategy{Binary: true}}, wantFields: []string{"Strategy"}},
		{
			name:       "every problem is reported",
			opts:       Options{Interval: -1, Timeout: -1, Mode: -1},
			wantFields: []string{"Interval", "Timeout", "Mode"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.wantFields == nil {
				require.NoError(t, err)
				m, err := Start(nopPinger{}, tt.opts)
				require.NoError(t, err)
				m.Stop()
				return
			}
			require.ErrorIs(t, err, ErrInvalidOptions)
			assert.Equal(t, tt.wantFields, fields(err))

			m, startErr := Start(nopPinger{}, tt.opts)
			assert.Nil(t, m)
			assert.Equal(t, err, startErr, "Start reports what Validate reports")
		})
	}
}

func TestStartRejects(t *testing.T) {
	t.Run("nil Pinger", func(t *testing.T) {
		m, err := Start(nil, Options{})
		assert.Nil(t, m)
		assert.ErrorIs(t, err, errNilPinger)
	})
	t.Run("application strategy on a connection without SendHeartbeat", func(t *testing.T) {
		m, err := Start(pingOnly{}, Options{Strategy: Text("ping", "pong")})
		assert.Nil(t, m)
		require.ErrorIs(t, err, ErrInvalidOptions)
		assert.Equal(t, []string{"Strategy"}, fields(err))
	})
}

func TestDefaults(t *testing.T) {
	o := Options{AdaptiveTimeout: true}.withDefaults()
	assert.Equal(t, 15*s, o.Interval)
	assert.Equal(t, 10*s, o.Timeout)
	assert.Equal(t, 2*s, o.MinTimeout)
	assert.Equal(t, PongOnly, o.Mode)
	assert.IsType(t, systemClock{}, o.Clock)
	assert.Equal(t, time.Second, Options{Timeout: time.Second}.withDefaults().MinTimeout,
		"the default floor never exceeds Timeout")
}

func TestModeString(t *testing.T) {
	assert.Equal(t, "PongOnly", PongOnly.String())
	assert.Equal(t, "AnyFrame", AnyFrame.String())
	assert.Equal(t, "Mode(9)", Mode(9).String())
}

func TestErrorStrings(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&DeadError{Waited: 10 * s}, "heartbeat: peer is dead: no reply to the heartbeat within 10s"},
		{&DeadError{Waited: 10 * s, LastRTT: 35 * ms}, "heartbeat: peer is dead: no reply to the heartbeat within 10s (last RTT 35ms)"},
		{&DeadError{Waited: 2 * s, Mode: AnyFrame}, "heartbeat: peer is dead: nothing received within 2s"},
		{&OptionError{Field: "Timeout", Reason: "-1s is negative"}, "heartbeat: invalid Options.Timeout: -1s is negative"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.err.Error())
	}
	assert.NotErrorIs(t, &DeadError{}, ErrInvalidOptions)
	assert.NotErrorIs(t, &OptionError{}, ErrDead)
}

// nopPinger accepts every ping and heartbeat message.
type nopPinger struct{}

func (nopPinger) Ping(context.Context, []byte) error                { return nil }
func (nopPinger) SendHeartbeat(context.Context, []byte, bool) error { return nil }

// pingOnly can send control frames only.
type pingOnly struct{}

func (pingOnly) Ping(context.Context, []byte) error { return nil }
