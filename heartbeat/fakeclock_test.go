package heartbeat

import (
	"sync"
	"time"
)

// signal lets a test wait for "something changed" without polling or
// sleeping: take wait()'s channel, check the condition, then block on the
// channel, which kick closes.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signal) kick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}

// fakeClock is a Clock whose time moves only when the test calls step. Timers
// fire one at a time, in deadline order (creation order breaks ties), so a
// test sees every event at its exact instant.
type fakeClock struct {
	sig *signal // kicked on every timer change

	mu      sync.Mutex
	now     time.Time
	seq     int
	timers  []*fakeTimer
	running int // AfterFunc callbacks still running
}

type fakeTimer struct {
	clk   *fakeClock
	seq   int
	ch    chan time.Time // nil for AfterFunc timers
	f     func()
	when  time.Time
	armed bool
	// listed is set while the clock's list holds the timer; a spent
	// AfterFunc timer leaves it, and comes back when reset.
	listed bool
	// fired marks a channel timer that has delivered and has been neither
	// reset nor stopped since: its owner has not finished reacting to it.
	fired bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{sig: newSignal(), now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	return c.add(d, make(chan time.Time, 1), nil)
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	return c.add(d, nil, f)
}

func (c *fakeClock) add(d time.Duration, ch chan time.Time, f func()) *fakeTimer {
	c.mu.Lock()
	c.seq++
	t := &fakeTimer{clk: c, seq: c.seq, ch: ch, f: f, when: c.now.Add(d), armed: true, listed: true}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	c.sig.kick()
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	return t.set(false, 0)
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	return t.set(true, d)
}

func (t *fakeTimer) set(armed bool, d time.Duration) bool {
	c := t.clk
	c.mu.Lock()
	was := t.armed
	t.armed, t.fired, t.when = armed, false, c.now.Add(d)
	if armed && !t.listed {
		t.listed = true
		c.timers = append(c.timers, t)
	}
	if t.ch != nil {
		select {
		case <-t.ch:
		default:
		}
	}
	c.mu.Unlock()
	c.sig.kick()
	return was
}

// step moves time to the earliest timer due by target and fires it, or to
// target when none is due. It reports whether a timer fired.
func (c *fakeClock) step(target time.Time) bool {
	c.mu.Lock()
	var next *fakeTimer
	live := c.timers[:0]
	for _, t := range c.timers {
		if !t.armed && t.ch == nil {
			t.listed = false // a spent AfterFunc timer fires again only once reset
			continue
		}
		live = append(live, t)
		if t.armed && !t.when.After(target) &&
			(next == nil || t.when.Before(next.when) || (t.when.Equal(next.when) && t.seq < next.seq)) {
			next = t
		}
	}
	clear(c.timers[len(live):])
	c.timers = live
	if next == nil {
		if c.now.Before(target) {
			c.now = target
		}
		c.mu.Unlock()
		return false
	}
	if next.when.After(c.now) {
		c.now = next.when
	}
	next.armed = false
	if next.ch != nil {
		next.fired = true
		next.ch <- c.now // never blocks: set drains the buffer on every rearm
	}
	f := next.f
	if f != nil {
		c.running++
	}
	c.mu.Unlock()
	c.sig.kick()
	if f != nil {
		// On a goroutine of its own, as time.AfterFunc does: the
		// monitor's step may block in a send that only a later timer
		// (its deadline) ends.
		go func() {
			f()
			c.mu.Lock()
			c.running--
			c.mu.Unlock()
			c.sig.kick()
		}()
	}
	return true
}

// pending reports whether more AfterFunc callbacks are still running than
// the blocked ones (those waiting in a send for a later timer, which
// cannot finish before time moves), or a channel timer has fired and its
// owner has not yet rearmed or stopped it.
func (c *fakeClock) pending(blocked int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running > blocked {
		return true
	}
	for _, t := range c.timers {
		if t.fired {
			return true
		}
	}
	return false
}
