package heartbeat

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrDead matches, through errors.Is, every [*DeadError]: the peer gave
	// no sign of life within the timeout.
	ErrDead = errors.New("heartbeat: peer is dead")

	// ErrInvalidOptions matches, through errors.Is, every [*OptionError].
	ErrInvalidOptions = errors.New("heartbeat: invalid options")
)

// errPingTimeout is the cancellation cause the monitor gives a Ping call that
// is still writing when the ping's timeout expires: a peer that does not
// drain its socket is as dead as one that does not answer.
var errPingTimeout = errors.New("heartbeat: ping not written within its timeout")

// errStopped cancels a ping's send when the monitor is stopped.
var errStopped = errors.New("heartbeat: monitor stopped")

// errNilPinger is returned by Start when it is given no connection.
var errNilPinger = errors.New("heartbeat: Start needs a non-nil Pinger")

// DeadError is the cause a [Monitor] reports when the peer stayed silent.
// It matches [ErrDead] through errors.Is.
type DeadError struct {
	// Waited is how long the monitor waited after sending the last ping:
	// the timeout that applied to it (see [Options.AdaptiveTimeout]), or a
	// multiple of it when [Options.Progress] kept the ping waiting.
	Waited time.Duration
	// Mode is the liveness rule that was broken.
	Mode Mode
	// LastRTT is the last round-trip time measured on this connection, 0 if
	// none was; compare it with Waited to tell a dead link from a slow one.
	LastRTT time.Duration
}

// Error describes what was missing and for how long.
func (e *DeadError) Error() string {
	what := "no reply to the heartbeat"
	if e.Mode == AnyFrame {
		what = "nothing received"
	}
	if e.LastRTT > 0 {
		return fmt.Sprintf("heartbeat: peer is dead: %s within %v (last RTT %v)", what, e.Waited, e.LastRTT)
	}
	return fmt.Sprintf("heartbeat: peer is dead: %s within %v", what, e.Waited)
}

// Is reports whether target is [ErrDead].
func (e *DeadError) Is(target error) bool { return target == ErrDead }

// OptionError reports one unusable value in [Options]. It matches
// [ErrInvalidOptions] through errors.Is.
type OptionError struct {
	// Field is the name of the Options field at fault, e.g. "Timeout".
	Field string
	// Reason says what is wrong with it and what would be accepted.
	Reason string
}

// Error names the field and the reason.
func (e *OptionError) Error() string {
	return "heartbeat: invalid Options." + e.Field + ": " + e.Reason
}

// Is reports whether target is [ErrInvalidOptions].
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOptions }
