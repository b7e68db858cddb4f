package rpc

import (
	"encoding/json"
	"errors"
	"strconv"
)

var (
	// ErrConnectionLost is returned by a call whose request was written to
	// a connection that ended before its response arrived, when the call
	// was not marked idempotent (Options.Idempotent): it may or may not
	// have run on the server, so it is not sent again.
	ErrConnectionLost = errors.New("rpc: connection lost before the response")
	// ErrClosed is returned by calls on a Client after Close, and ends its
	// subscriptions.
	ErrClosed = errors.New("rpc: client closed")
	// ErrUnsubscribed is what Next returns, after the events already
	// buffered, once the program called Unsubscribe.
	ErrUnsubscribed = errors.New("rpc: unsubscribed")
	// ErrOverflow ends a subscription with OverflowBlock whose buffer
	// filled while its OnResubscribe hook was running: waiting then could
	// deadlock the hook's own calls, and dropping is what the program
	// asked not to do.
	ErrOverflow = errors.New("rpc: subscription buffer overflowed while its resubscribe hook ran")
	// ErrBadResponse is matched by the error of a call whose response was
	// not valid JSON-RPC 2.0 (for a batch: the wrong shape).
	ErrBadResponse = errors.New("rpc: malformed response")
)

// Error is a JSON-RPC 2.0 error object returned by the server.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Error returns the server's code and message.
func (e *Error) Error() string {
	return "rpc: server error " + strconv.Itoa(e.Code) + ": " + e.Message
}

// DroppedError is returned by Subscription.Next, in the place of the
// events it stands for, when OverflowDrop discarded events because the
// program fell behind. The subscription goes on; the next Next returns
// what came after the gap.
type DroppedError struct {
	// Dropped is how many events were discarded at this point.
	Dropped int
}

// Error says how many events were dropped.
func (e *DroppedError) Error() string {
	return "rpc: " + strconv.Itoa(e.Dropped) + " subscription events dropped: the buffer was full"
}

// badResponse wraps what was wrong with a response so that it matches
// ErrBadResponse.
type badResponse struct{ reason string }

func (e *badResponse) Error() string   { return "rpc: malformed response: " + e.reason }
func (e *badResponse) Is(t error) bool { return t == ErrBadResponse }
