package heartbeat

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	ms = time.Millisecond
	s  = time.Second
)

// frameSchedule delivers FrameReceived calls on a grid, to stand for data
// traffic.
type frameSchedule struct{ first, every, last time.Duration }

func TestMonitorTimeline(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		reply     func(n int) (time.Duration, bool)
		frames    *frameSchedule
		run       time.Duration // how long to watch a monitor that stays alive
		wantSent  []time.Duration
		wantDead  time.Duration // 0: alive after run
		wantWait  time.Duration
		wantRTT   time.Duration // DeadError.LastRTT
		wantNoRTT bool
	}{
		{
			name:     "healthy peer answers every ping, never dies",
			reply:    always(50 * ms),
			run:      10 * time.Minute,
			wantSent: grid(15*s, 15*s, 10*time.Minute),
		},
		{
			name:     "silent peer with defaults dies at interval+timeout",
			wantSent: []time.Duration{15 * s},
			wantDead: 25 * s,
			wantWait: 10 * s,
		},
		{
			name:     "peer that answers three pings dies after the fourth",
			reply:    firstN(3, 40*ms),
			wantSent: []time.Duration{15 * s, 30 * s, 45 * s, 60 * s},
			wantDead: 70 * s,
			wantWait: 10 * s,
			wantRTT:  40 * ms,
		},
		{
			name:     "pong one nanosecond inside the timeout keeps it alive",
			reply:    always(10*s - 1),
			run:      2 * time.Minute,
			wantSent: grid(15*s, 15*s, 2*time.Minute),
		},
		{
			name:     "pong one nanosecond after the timeout is too late",
			reply:    always(10*s + 1),
			wantSent: []time.Duration{15 * s},
			wantDead: 25 * s,
			wantWait: 10 * s,
		},
		{
			name:     "custom interval and timeout",
			opts:     Options{Interval: 2 * s, Timeout: 500 * ms},
			reply:    firstN(2, 100*ms),
			wantSent: []time.Duration{2 * s, 4 * s, 6 * s},
			wantDead: 6*s + 500*ms,
			wantWait: 500 * ms,
			wantRTT:  100 * ms,
		},
		{
			name:     "timeout equal to interval: the deadline wins over the tick",
			opts:     Options{Interval: 10 * s, Timeout: 10 * s},
			wantSent: []time.Duration{10 * s},
			wantDead: 20 * s,
			wantWait: 10 * s,
		},
		{
			name:     "timeout above interval skips ticks while a ping is outstanding",
			opts:     Options{Interval: 10 * s, Timeout: 25 * s},
			reply:    always(12 * s),
			run:      60 * s,
			wantSent: []time.Duration{10 * s, 30 * s, 50 * s},
		},
		{
			name:     "timeout above interval, silent peer dies at send+timeout",
			opts:     Options{Interval: 10 * s, Timeout: 25 * s},
			wantSent: []time.Duration{10 * s},
			wantDead: 35 * s,
			wantWait: 25 * s,
		},
		{
			name:      "PongOnly is not fooled by data frames",
			frames:    &frameSchedule{first: 1 * s, every: 1 * s, last: time.Minute},
			wantSent:  []time.Duration{15 * s},
			wantDead:  25 * s,
			wantWait:  10 * s,
			wantNoRTT: true,
		},
		{
			name:     "AnyFrame is kept alive by frames without any pong",
			opts:     Options{Mode: AnyFrame},
			frames:   &frameSchedule{first: 2 * s, every: 5 * s, last: 10 * time.Minute},
			run:      10 * time.Minute,
			wantSent: grid(15*s, 15*s, 10*time.Minute),
		},
		{
			name:     "AnyFrame is kept alive by pongs alone",
			opts:     Options{Mode: AnyFrame},
			reply:    always(30 * ms),
			run:      5 * time.Minute,
			wantSent: grid(15*s, 15*s, 5*time.Minute),
		},
		{
			name:     "AnyFrame dies one timeout after the first ping with no frame behind it",
			opts:     Options{Mode: AnyFrame},
			frames:   &frameSchedule{first: 2 * s, every: 5 * s, last: 42 * s},
			wantSent: []time.Duration{15 * s, 30 * s, 45 * s},
			wantDead: 55 * s,
			wantWait: 10 * s,
		},
		{
			name:     "AnyFrame silent peer",
			opts:     Options{Mode: AnyFrame},
			wantSent: []time.Duration{15 * s},
			wantDead: 25 * s,
			wantWait: 10 * s,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.opts, &fakePeer{reply: tt.reply})
			if f := tt.frames; f != nil {
				h.every(f.first, f.every, f.last, h.m.FrameReceived)
			}
			if tt.wantDead == 0 {
				h.advanceTo(tt.run)
				h.requireAlive()
				assert.Equal(t, tt.wantSent, h.sentAt())
				return
			}

			err := h.dieAt(tt.wantDead)

			var dead *DeadError
			require.ErrorAs(t, err, &dead)
			assert.ErrorIs(t, err, ErrDead)
			assert.Equal(t, tt.wantWait, dead.Waited, "Waited")
			assert.Equal(t, h.m.opts.Mode, dead.Mode, "Mode")
			assert.Equal(t, tt.wantRTT, dead.LastRTT, "LastRTT")

			// Reported once: nothing more is sent and the cause stays.
			h.advance(time.Hour)
			assert.Same(t, err, h.m.Err())
			assert.Equal(t, tt.wantSent, h.sentAt())
		})
	}
}

func TestPingPayloadIsCounter(t *testing.T) {
	h := newHarness(t, Options{}, &fakePeer{reply: always(ms)})
	h.advanceTo(45 * s)
	var got [][]byte
	for _, s := range h.peer.sentCopy() {
		assert.False(t, s.message)
		got = append(got, s.payload)
	}
	assert.Equal(t, [][]byte{
		{0, 0, 0, 0, 0, 0, 0, 1},
		{0, 0, 0, 0, 0, 0, 0, 2},
		{0, 0, 0, 0, 0, 0, 0, 3},
	}, got)
}

func TestStrayPongsAreIgnored(t *testing.T) {
	first := []byte{0, 0, 0, 0, 0, 0, 0, 1}
	tests := []struct {
		name  string
		at    time.Duration // when the stray pong arrives; ping 1 leaves at 15 s
		pong  []byte
		reply func(int) (time.Duration, bool)
		// the ping left unanswered, and so the death time
		wantDead time.Duration
		wantRTT  time.Duration
	}{
		{name: "nil payload", at: 16 * s, pong: nil, wantDead: 25 * s},
		{name: "empty payload", at: 16 * s, pong: []byte{}, wantDead: 25 * s},
		{name: "seven bytes", at: 16 * s, pong: first[1:], wantDead: 25 * s},
		{name: "nine bytes", at: 16 * s, pong: append([]byte{0}, first...), wantDead: 25 * s},
		{name: "id zero", at: 16 * s, pong: make([]byte, 8), wantDead: 25 * s},
		{name: "future id", at: 16 * s, pong: []byte{0, 0, 0, 0, 0, 0, 0, 2}, wantDead: 25 * s},
		{name: "all ones", at: 16 * s, pong: []byte{255, 255, 255, 255, 255, 255, 255, 255}, wantDead: 25 * s},
		{name: "unsolicited before any ping", at: 5 * s, pong: first, wantDead: 25 * s},
		{
			name:     "stale duplicate of an answered ping",
			at:       31 * s,
			pong:     first,
			reply:    firstN(1, 100*ms),
			wantDead: 40 * s,
			wantRTT:  100 * ms,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{}, &fakePeer{reply: tt.reply})
			h.advanceTo(tt.at)
			h.m.PongReceived(tt.pong)

			dead := h.deadAt(tt.wantDead)
			assert.Equal(t, tt.wantRTT, dead.LastRTT)
			last, _ := h.m.RTT()
			assert.Equal(t, tt.wantRTT, last)
		})
	}
}

// Once the verdict is in, the pong for the judged ping is stale: it must not
// surface as a round trip longer than the timeout that killed the peer.
func TestPongAfterVerdictIsNoSample(t *testing.T) {
	h := newHarness(t, Options{}, &fakePeer{})
	h.advanceTo(25 * s)
	require.ErrorIs(t, h.requireDead(), ErrDead)
	h.advance(ms)
	h.m.PongReceived([]byte{0, 0, 0, 0, 0, 0, 0, 1})
	last, smoothed := h.m.RTT()
	assert.Zero(t, last)
	assert.Zero(t, smoothed)
}

func TestRTT(t *testing.T) {
	// RFC 6298 by hand: SRTT(1) = R, then SRTT = 7/8·SRTT + 1/8·R.
	delays := []time.Duration{100 * ms, 200 * ms, 50 * ms}
	wantSmoothed := []time.Duration{100 * ms, 112500 * time.Microsecond, 104687500 * time.Nanosecond}

	strategies := []struct {
		name     string
		strategy Strategy
	}{
		{"control frames, matched by id", Strategy{}},
		{"text, matched by order", Text("ping", "pong")},
	}
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			var mu sync.Mutex
			var samples []time.Duration
			onRTT := func(d time.Duration) {
				mu.Lock()
				samples = append(samples, d)
				mu.Unlock()
			}
			h := newHarness(t, Options{Strategy: st.strategy, OnRTT: onRTT}, &fakePeer{
				pong:  []byte("pong"),
				reply: func(n int) (time.Duration, bool) { return delays[n-1], n <= len(delays) },
			})
			last, smoothed := h.m.RTT()
			assert.Zero(t, last)
			assert.Zero(t, smoothed)
			for i, d := range delays {
				ping := time.Duration(i+1) * 15 * s
				h.advanceTo(ping + d - 1)
				last, _ := h.m.RTT()
				if i == 0 {
					assert.Zero(t, last, "before the first pong")
				} else {
					assert.Equal(t, delays[i-1], last, "before pong %d", i+1)
				}
				h.advance(1)
				last, smoothed = h.m.RTT()
				assert.Equal(t, d, last, "last after pong %d", i+1)
				assert.Equal(t, wantSmoothed[i], smoothed, "smoothed after pong %d", i+1)
				mu.Lock()
				got := append([]time.Duration(nil), samples...)
				mu.Unlock()
				assert.Equal(t, delays[:i+1], got, "OnRTT samples after pong %d", i+1)
			}
		})
	}
}

func TestAdaptiveTimeout(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		delays   []time.Duration // replies to the first pings; the next one is not answered
		wantWait time.Duration
	}{
		{
			name:     "shrinks on a fast link, down to MinTimeout",
			opts:     Options{AdaptiveTimeout: true, MinTimeout: 100 * ms},
			delays:   []time.Duration{100 * ms, 100 * ms, 100 * ms, 100 * ms},
			wantWait: 284375 * time.Microsecond, // 2·100ms + 4·21.09375ms
		},
		{
			name:     "default MinTimeout floors it at 2s",
			opts:     Options{AdaptiveTimeout: true},
			delays:   []time.Duration{100 * ms, 100 * ms, 100 * ms, 100 * ms},
			wantWait: 2 * s,
		},
		{
			name:     "grows with a slowing link, so the slow pongs survive",
			opts:     Options{AdaptiveTimeout: true},
			delays:   []time.Duration{1 * s, 2 * s, 4 * s},
			wantWait: 7718750 * time.Microsecond, // 2·1.484375s + 4·1.1875s
		},
		{
			name:     "growth is capped at Timeout",
			opts:     Options{AdaptiveTimeout: true, Timeout: 6 * s},
			delays:   []time.Duration{1 * s, 2 * s, 4 * s},
			wantWait: 6 * s,
		},
		{
			name:     "before any sample the timeout is Timeout",
			opts:     Options{AdaptiveTimeout: true, MinTimeout: 100 * ms},
			wantWait: 10 * s,
		},
		{
			name:     "off: always Timeout",
			opts:     Options{MinTimeout: 100 * ms},
			delays:   []time.Duration{100 * ms, 100 * ms, 100 * ms, 100 * ms},
			wantWait: 10 * s,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.opts, &fakePeer{reply: func(n int) (time.Duration, bool) {
				if n > len(tt.delays) {
					return 0, false
				}
				return tt.delays[n-1], true
			}})
			lastPing := time.Duration(len(tt.delays)+1) * 15 * s
			dead := h.deadAt(lastPing + tt.wantWait)
			assert.Equal(t, tt.wantWait, dead.Waited)
			assert.Len(t, h.sentAt(), len(tt.delays)+1)
		})
	}
}

func TestNextTick(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		now  time.Duration
		want time.Duration
	}{
		{"before the tick", 9 * s, 10 * s},
		{"on the tick", 10 * s, 20 * s},
		{"between ticks", 15 * s, 20 * s},
		{"several ticks missed", 47 * s, 50 * s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nextTick(base.Add(10*s), base.Add(tt.now), 10*s)
			assert.Equal(t, tt.want, got.Sub(base))
		})
	}
}
