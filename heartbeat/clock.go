package heartbeat

import "time"

// Clock is the monitor's source of time. It is an interface so that tests can
// drive the monitor with a fake clock and check timeouts to the nanosecond
// without sleeping; a nil [Options.Clock] means the system clock.
//
// The monitor computes every duration as a difference of Now values, so a
// real clock should return times that carry a monotonic reading, as
// [time.Now] does.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that sends the time on its C channel once d
	// has elapsed. The monitor no longer uses it (its timers are
	// AfterFunc's); it stays so that existing clocks still satisfy Clock.
	NewTimer(d time.Duration) Timer
	// AfterFunc returns a timer that calls f once d has elapsed, and again
	// each time it is reset and elapses. f runs on a goroutine of its own
	// (the monitor's f may block in a Ping until its deadline's f cancels
	// it), and the monitor never needs two calls of the same f at once.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is the part of [time.Timer] the monitor uses. A channel timer is reset
// only after a receive from C, so implementations need not
// provide Go 1.23's guarantee that Reset discards an undelivered value.
type Timer interface {
	// C returns the channel the timer delivers on; nil for AfterFunc timers.
	C() <-chan time.Time
	// Stop prevents the timer from firing and reports whether it was
	// pending.
	Stop() bool
	// Reset makes the timer fire once d has elapsed and reports whether it
	// was pending.
	Reset(d time.Duration) bool
}

// systemClock is the default Clock. It is a value type with no state, so the
// default needs no package-level variable.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer(d time.Duration) Timer {
	return systemTimer{time.NewTimer(d)}
}

func (systemClock) AfterFunc(d time.Duration, f func()) Timer {
	return systemTimer{time.AfterFunc(d, f)}
}

// systemTimer adapts *time.Timer, whose C is a field rather than a method.
type systemTimer struct{ t *time.Timer }

func (s systemTimer) C() <-chan time.Time        { return s.t.C }
func (s systemTimer) Stop() bool                 { return s.t.Stop() }
func (s systemTimer) Reset(d time.Duration) bool { return s.t.Reset(d) }
