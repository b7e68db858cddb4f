package client

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by calls on a Client after Close, and is the
	// cause of the change to Closed.
	ErrClosed = errors.New("client: closed")
	// ErrFailed is matched (errors.Is) by the error of calls on a Client
	// whose session failed; the error also wraps the cause.
	ErrFailed = errors.New("client: session failed")
	// ErrUndelivered is returned by Close when messages were still queued
	// and no OnDeadLetter was set to receive them.
	ErrUndelivered = errors.New("client: messages left undelivered at Close")
	// ErrBackoffExhausted is the cause of Failed when the backoff policy
	// returned backoff.Stop.
	ErrBackoffExhausted = errors.New("client: backoff gave up")
)

// failedError is what calls return after the session failed.
type failedError struct{ cause error }

func (e *failedError) Error() string   { return fmt.Sprintf("%v: %v", ErrFailed, e.cause) }
func (e *failedError) Is(t error) bool { return t == ErrFailed }
func (e *failedError) Unwrap() error   { return e.cause }

// OnConnectError is the cause reported when Options.OnConnect failed; the
// connection is dropped and, by the default policy, retried.
type OnConnectError struct{ Err error }

func (e *OnConnectError) Error() string { return "client: OnConnect: " + e.Err.Error() }

// Unwrap returns the hook's error.
func (e *OnConnectError) Unwrap() error { return e.Err }
