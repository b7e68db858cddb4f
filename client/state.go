package client

import (
	"strconv"
	"time"
)

// State is where a Client's session stands. The transitions are:
//
//	Connecting   → Connected     the handshake and OnConnect succeeded
//	Connecting   → Reconnecting  the attempt failed and policy says retry
//	Connected    → Reconnecting  the connection dropped and policy says retry
//	Reconnecting → Connecting    the backoff delay has passed
//	any          → Failed        policy says a retry cannot help, or the backoff gave up
//	any          → Closed        the program called Close or cancelled Start's context
//
// Closed and Failed are final.
type State int32

const (
	// Connecting: dialing, handshaking or running OnConnect.
	Connecting State = iota
	// Connected: the session is live; queued messages are being sent.
	Connected
	// Reconnecting: waiting out a backoff delay before the next attempt.
	Reconnecting
	// Closed: the program ended the session.
	Closed
	// Failed: the session ended on an error that retrying cannot fix.
	Failed
)

var stateNames = [...]string{"Connecting", "Connected", "Reconnecting", "Closed", "Failed"}

// String returns the state's name.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Final reports whether no transition can leave s.
func (s State) Final() bool { return s == Closed || s == Failed }

// StateChange describes one transition, as given to Options.OnStateChange.
type StateChange struct {
	From, To State
	// Cause is why: the error that ended the connection or the attempt
	// (for Reconnecting and Failed), ErrClosed or the context's error (for
	// Closed), nil otherwise.
	Cause error
	// Delay is the backoff wait, for a change to Reconnecting.
	Delay time.Duration
	// Attempt counts connection attempts since the last successful
	// connection: 1 for the first, and 0 for the Reconnecting that follows
	// the end of a connection (no attempt has failed yet).
	Attempt int
	// Conn is the connection ordinal, for a change to Connected: 1 for the
	// session's first connection, then one more per reconnect.
	Conn uint64
	// At is when the transition happened.
	At time.Time
}
