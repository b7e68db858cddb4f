package heartbeat

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// firingClock is a fakeClock that counts the firings of the AfterFunc
// timers made through it: the monitor's own, not the fake peer's.
type firingClock struct {
	*fakeClock
	fired *atomic.Int32
}

func (c firingClock) AfterFunc(d time.Duration, f func()) Timer {
	return c.fakeClock.AfterFunc(d, func() { c.fired.Add(1); f() })
}

// On a healthy connection each ping costs the monitor one firing of its
// timer: a pong moves the timer from the ping's deadline to the next tick.
// On an idle fleet every firing is a goroutine started and a pass of the
// scheduler, so a second firing per ping doubled the heartbeat's CPU.
func TestAnsweredPingCostsOneFiring(t *testing.T) {
	const interval, rtt = time.Second, 10 * time.Millisecond
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"pong", Options{Interval: interval, Timeout: interval / 2}},
		{"any frame", Options{Interval: interval, Timeout: interval / 2, Mode: AnyFrame}},
		{"timeout past the next tick", Options{Interval: interval, Timeout: 3 * interval}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var fired atomic.Int32
			peer := &fakePeer{reply: func(int) (time.Duration, bool) { return rtt, true }}
			h := startHarnessClock(t, tt.opts, peer, peer, func(c *fakeClock) Clock { return firingClock{c, &fired} })
			m := h.m

			const pings = 20
			h.advanceTo(pings*interval + interval/2)
			require.Len(t, peer.sentCopy(), pings)
			require.EqualValues(t, pings, fired.Load(), "firings of the monitor's timers for %d answered pings", pings)
			select {
			case <-m.Done():
				require.FailNow(t, "a healthy peer was judged dead", "%v", m.Err())
			default:
			}
		})
	}
}

// An unanswered ping still gets its verdict at its deadline.
func TestUnansweredPingStillJudgedAtDeadline(t *testing.T) {
	const interval, timeout = time.Second, 300 * time.Millisecond
	h := newHarness(t, Options{Interval: interval, Timeout: timeout}, &fakePeer{reply: func(n int) (time.Duration, bool) {
		return time.Millisecond, n < 3 // the third ping is never answered
	}})
	h.advanceTo(3*interval + timeout) // the verdict is due at this instant, no later
	err := h.requireDead()
	var de *DeadError
	require.ErrorAs(t, err, &de)
	require.Equal(t, timeout, de.Waited)
}
