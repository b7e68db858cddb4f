package queue

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock is a clock tests move by hand, so expiry never depends on how
// fast the machine is. Its timers (AfterFunc, for Options.afterFunc) fire
// only when a test calls Tick: Advance alone leaves the expiry to the
// queue's lazy paths (Next, a full Push).
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	timers []*fakeTimer
}

// fakeTimer is a timer of a fakeClock.
type fakeTimer struct {
	c     *fakeClock
	at    time.Time
	f     func()
	armed bool
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.armed
	t.at, t.armed = t.c.t.Add(d), true
	return was
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.armed
	t.armed = false
	return was
}

// AfterFunc starts a timer that fires f once the clock has been ticked to
// d from now.
func (c *fakeClock) AfterFunc(d time.Duration, f func()) timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.t.Add(d), f: f, armed: true}
	c.timers = append(c.timers, t)
	return t
}

// Armed reports when the earliest armed timer fires; ok is false when
// none is armed.
func (c *fakeClock) Armed() (at time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.timers {
		if t.armed && (!ok || t.at.Before(at)) {
			at, ok = t.at, true
		}
	}
	return at, ok
}

// Tick advances the clock by d and fires, in order, every timer due by
// then, as the runtime would, on the caller's goroutine; so when Tick
// returns, the queue's timer has done its work.
func (c *fakeClock) Tick(d time.Duration) {
	c.Advance(d)
	for {
		c.mu.Lock()
		var due *fakeTimer
		for _, t := range c.timers {
			if t.armed && !t.at.After(c.t) && (due == nil || t.at.Before(due.at)) {
				due = t
			}
		}
		if due == nil {
			c.mu.Unlock()
			return
		}
		due.armed = false
		c.mu.Unlock()
		due.f()
	}
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// dropRecord is one OnDrop call, with the payload copied because the
// queue's copy is only valid during the call.
type dropRecord struct {
	Seq     uint64
	Reason  DropReason
	Payload string
}

// recorder collects OnDrop calls.
type recorder struct {
	mu    sync.Mutex
	drops []dropRecord
}

func (r *recorder) OnDrop(e Entry, why DropReason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drops = append(r.drops, dropRecord{e.Seq, why, string(e.Payload)})
}

// take returns the calls so far and forgets them.
func (r *recorder) take() []dropRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.drops
	r.drops = nil
	return out
}
