package client

import (
	"runtime/debug"
)

// guard runs a callback of the program's on one of the Client's
// goroutines. A panic there would kill the process from a goroutine the
// program cannot recover on, so it is contained: the session fails with a
// *PanicError, which Err, Close's callers and OnStateChange then see.
// It reports whether f returned normally.
func (c *Client) guard(name string, f func()) (ok bool) {
	defer func() {
		if !ok {
			c.callbackPanicked(name, recover())
		}
	}()
	f()
	return true
}

// callbackPanicked ends the session with a *PanicError.
func (c *Client) callbackPanicked(name string, v any) {
	pe := &PanicError{Callback: name, Value: v, Stack: debug.Stack()}
	c.opts.Logger.Error("callback panicked; the session fails", "callback", name, "panic", v)
	c.cancel(pe)
}
