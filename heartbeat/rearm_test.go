package heartbeat

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rearm moves the timer to the next tick only for the ping whose answer
// called it, never for a later one. A reader
// descheduled between answer's expected.Store(0) and rearm's TryLock lets
// the tick's firing send ping 2 (timer set to ping 2's deadline, 40 s);
// a rearm for any ping would then move the timer to the next tick (45 s)
// and judge ping 2's silence 5 s late (with AdaptiveTimeout, up to
// Interval−MinTimeout late). AnyFrame makes the window real: the late pong
// of a judged-alive ping can land just before a tick.
func TestRearmRacingATickKeepsTheNewPingsDeadline(t *testing.T) {
	for _, split := range []bool{false, true} {
		h := newHarness(t, Options{Interval: 15 * time.Second, Timeout: 10 * time.Second, Mode: AnyFrame}, &fakePeer{})
		h.advanceTo(15 * time.Second) // ping 1
		h.advanceTo(20 * time.Second)
		h.m.FrameReceived()                            // traffic: ping 1 judged alive at 25 s, still outstanding
		h.advanceTo(30*time.Second - time.Millisecond) // its late pong arrives
		pong := binary.BigEndian.AppendUint64(nil, 1)
		if !split {
			h.m.PongReceived(pong)
			h.advanceTo(30 * time.Second) // ping 2, due by 40 s
		} else {
			// answer's first half, then the reader is descheduled
			h.m.mu.Lock()
			require.Equal(t, uint64(1), h.m.expected.Load())
			h.m.expected.Store(0)
			h.m.mu.Unlock()
			h.advanceTo(30 * time.Second) // the tick's firing sends ping 2
			h.m.rearm(1)                  // the reader resumes
		}
		require.Len(t, h.peer.sentCopy(), 2)
		h.advanceTo(40 * time.Second) // ping 2's deadline: nothing heard since it left
		select {
		case <-h.m.Done():
		default:
			t.Errorf("split=%v: ping 2 (sent at 30 s, timeout 10 s) unanswered and silent at 40 s, yet the monitor is alive", split)
		}
		h.m.Stop()
	}
}
