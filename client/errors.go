package client

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var (
	// ErrClosed is returned by calls on a Client after Close, and is the
	// cause of the change to Closed.
	ErrClosed = errors.New("client: closed")
	// ErrFailed is matched (errors.Is) by the error of calls on a Client
	// whose session failed; the error also wraps the cause.
	ErrFailed = errors.New("client: session failed")
	// ErrUndelivered is matched by Close's error (an *UndeliveredError)
	// when the session left messages undelivered and no OnDeadLetter was
	// set to receive them.
	ErrUndelivered = errors.New("client: messages left undelivered at Close")
	// ErrInDoubt is the Err of a ReasonUnconfirmed dead letter whose
	// message an earlier process (an earlier Client on the same durable
	// queue) handed to a connection and did not see confirmed before it
	// ended: it may have arrived, so AtMostOnce does not send it again.
	ErrInDoubt = errors.New("client: written by an earlier process, never confirmed")
	// ErrBackoffExhausted is the cause of Failed when the backoff policy
	// returned backoff.Stop.
	ErrBackoffExhausted = errors.New("client: backoff gave up")
)

// failedError is what calls return after the session failed.
type failedError struct{ cause error }

func (e *failedError) Error() string   { return fmt.Sprintf("%v: %v", ErrFailed, e.cause) }
func (e *failedError) Is(t error) bool { return t == ErrFailed }
func (e *failedError) Unwrap() error   { return e.cause }

// ErrOnConnectTimeout is matched by the cause of a failed attempt whose
// OnConnect ran past Options.OnConnectTimeout, whatever it returned.
var ErrOnConnectTimeout = errors.New("client: OnConnect ran past OnConnectTimeout")

// OnConnectError is the cause reported when Options.OnConnect failed; the
// connection is dropped and, by the default policy, retried.
type OnConnectError struct {
	// Err is the hook's error, or one matching ErrOnConnectTimeout when
	// the hook overran its timeout.
	Err error
	// Returned is what a hook that overran its timeout returned (often
	// nil, as when it ignored its context); nil otherwise.
	Returned error
}

func (e *OnConnectError) Error() string { return "client: OnConnect: " + e.Err.Error() }

// Unwrap returns the hook's error.
func (e *OnConnectError) Unwrap() error { return e.Err }

// UndeliveredError is what Close returns when the session left messages
// undelivered and no OnDeadLetter was set to hear of them: every message
// of the session that expired, overflowed, went unconfirmed or was still
// queued at Close, counted by reason. It matches ErrUndelivered.
type UndeliveredError struct {
	// Counts holds the number of messages by reason, indexed by DropReason.
	Counts [numReasons]uint64
	// Total is the sum of Counts.
	Total uint64
}

func (e *UndeliveredError) Error() string {
	var b strings.Builder
	b.WriteString("client: ")
	b.WriteString(strconv.FormatUint(e.Total, 10))
	b.WriteString(" messages undelivered (")
	sep := ""
	for r, n := range e.Counts {
		if n > 0 {
			b.WriteString(sep + DropReason(r).String() + " " + strconv.FormatUint(n, 10))
			sep = ", "
		}
	}
	b.WriteString(")")
	return b.String()
}

// Is makes an *UndeliveredError match ErrUndelivered.
func (e *UndeliveredError) Is(t error) bool { return t == ErrUndelivered }

// PanicError is the cause of Failed when a callback the program gave the
// Client (OnStateChange, OnDeadLetter, AckExtractor, OnConnect, Endpoint,
// ShouldReconnect, Dial.OnPing, Dial.OnPong, Heartbeat.OnDead,
// Heartbeat.OnRTT, a method of Observer but MessageReceived and
// MessagesSent) panicked.
// The panic is contained on the Client's goroutine, where the program
// could not recover it, and ends the session: the program's state is
// unknown after a panic, so carrying on would hide the bug.
type PanicError struct {
	Callback string // the Options field whose function panicked
	Value    any    // what it panicked with
	Stack    []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("client: %s panicked: %v", e.Callback, e.Value)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
