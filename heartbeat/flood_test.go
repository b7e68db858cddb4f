package heartbeat

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flood hammers the read-path entry points from several goroutines until
// the returned stop function is called; stop waits for them to exit and may be
// called more than once.
func flood(m *Monitor) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	stray := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	data := []byte(`{"op":"trade","px":101.5}`)
	for range max(4, 2*runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for {
				select {
				case <-quit:
					return
				default:
				}
				for range 64 {
					m.FrameReceived()
					m.PongReceived(stray)
					m.MessageReceived(data)
				}
			}
		})
	}
	var once sync.Once
	return func() {
		once.Do(func() { close(quit) })
		wg.Wait()
	}
}

// A flood of inbound frames must neither delay the pings nor hide the
// peer's death: in PongOnly mode frames are no proof of life.
func TestFloodDoesNotStarveMonitor(t *testing.T) {
	for _, strategy := range []struct {
		name string
		s    Strategy
	}{
		{"control frames", Strategy{}},
		{"text", Text("ping", "pong")},
	} {
		t.Run(strategy.name, func(t *testing.T) {
			h := newHarness(t, Options{Strategy: strategy.s}, &fakePeer{pong: []byte("pong"), reply: firstN(3, 10*ms)})
			stop := flood(h.m)
			defer stop()

			h.advanceTo(70*s - 1)
			h.requireAlive()
			assert.Equal(t, []time.Duration{15 * s, 30 * s, 45 * s, 60 * s}, h.sentAt(), "pings on schedule")
			last, _ := h.m.RTT()
			assert.Equal(t, 10*ms, last, "RTT unaffected by stray pongs")

			h.advance(1)
			var dead *DeadError
			require.ErrorAs(t, h.requireDead(), &dead)
			assert.Equal(t, 10*s, dead.Waited)
		})
	}
}

// In AnyFrame mode pings still leave on their grid under a flood, and the
// verdict still comes on time when the traffic stops. The flood is load only:
// on the fake clock a ping's whole window passes in microseconds of real time,
// so the proof of life comes from frames scheduled on the fake clock.
func TestFloodAnyFrameStaysOnSchedule(t *testing.T) {
	h := newHarness(t, Options{Mode: AnyFrame}, &fakePeer{})
	h.every(1*s, 1*s, 5*time.Minute, h.m.FrameReceived)
	stop := flood(h.m)
	defer stop()

	h.advanceTo(5 * time.Minute)
	h.requireAlive()
	assert.Equal(t, grid(15*s, 15*s, 5*time.Minute), h.sentAt())

	stop()
	h.advanceTo(5*time.Minute + 25*s - 1) // ping at 5m15s, its window ends 10 s later
	h.requireAlive()
	h.advance(1)
	require.ErrorIs(t, h.requireDead(), ErrDead)
}
