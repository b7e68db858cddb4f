package heartbeat

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPingErrorEndsMonitor(t *testing.T) {
	boom := errors.New("write: broken pipe")
	tests := []struct {
		name     string
		strategy Strategy
	}{
		{"control ping", Strategy{}},
		{"application message", Text("ping", "pong")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{Strategy: tt.strategy}, &fakePeer{err: boom})
			err := h.dieAt(15 * s)
			assert.ErrorIs(t, err, boom)
			assert.NotErrorIs(t, err, ErrDead)
			h.advance(time.Minute)
			assert.Len(t, h.sentAt(), 1)
		})
	}
}

func TestPingStuckInWriteMeansDead(t *testing.T) {
	h := newHarness(t, Options{}, &fakePeer{block: true})
	h.advanceTo(25*s - 1)
	h.requireAlive()
	assert.True(t, h.peer.isBlocked(), "the ping is still being written")
	h.advance(1)
	var dead *DeadError
	require.ErrorAs(t, h.requireDead(), &dead)
	assert.Equal(t, 10*s, dead.Waited)
	assert.False(t, h.peer.isBlocked())
}

func TestStop(t *testing.T) {
	t.Run("before the first ping", func(t *testing.T) {
		h := newHarness(t, Options{}, &fakePeer{})
		h.advanceTo(10 * s)
		h.m.Stop()
		assert.NoError(t, h.m.Err())
		assert.Empty(t, h.sentAt())
		h.m.Stop() // idempotent
		assert.NoError(t, h.m.Err())
	})
	t.Run("while healthy", func(t *testing.T) {
		h := newHarness(t, Options{}, &fakePeer{reply: always(ms)})
		h.advanceTo(time.Minute)
		h.m.Stop()
		assert.NoError(t, h.m.Err())
		assert.Len(t, h.sentAt(), 4)
		h.advance(time.Hour)
		assert.Len(t, h.sentAt(), 4, "no pings after Stop")
	})
	t.Run("after dead keeps the cause", func(t *testing.T) {
		h := newHarness(t, Options{}, &fakePeer{})
		h.advanceTo(25 * s)
		err := h.requireDead()
		h.m.Stop()
		assert.Same(t, err, h.m.Err())
	})
	t.Run("while a ping is being written", func(t *testing.T) {
		h := newHarness(t, Options{}, &fakePeer{block: true})
		h.advanceTo(20 * s)
		require.True(t, h.peer.isBlocked())
		h.m.Stop()
		assert.NoError(t, h.m.Err())
		assert.False(t, h.peer.isBlocked())
	})
	t.Run("from many goroutines at once", func(t *testing.T) {
		h := newHarness(t, Options{}, &fakePeer{reply: always(ms)})
		h.advanceTo(20 * s)
		stopped := make(chan struct{})
		for range 8 {
			go func() {
				h.m.Stop()
				stopped <- struct{}{}
			}()
		}
		for range 8 {
			<-stopped
		}
		assert.NoError(t, h.m.Err())
	})
	t.Run("reader calls after Stop are harmless", func(t *testing.T) {
		h := newHarness(t, Options{Strategy: Text("ping", "pong")}, &fakePeer{})
		h.m.Stop()
		h.m.FrameReceived()
		h.m.PongReceived([]byte{0, 0, 0, 0, 0, 0, 0, 1})
		assert.True(t, h.m.MessageReceived([]byte("pong")))
		assert.NoError(t, h.m.Err())
	})
}

func TestOnDead(t *testing.T) {
	t.Run("called once with the cause", func(t *testing.T) {
		var got []error
		h := newHarness(t, Options{OnDead: func(err error) { got = append(got, err) }}, &fakePeer{})
		h.advanceTo(25 * s)
		err := h.requireDead() // Done is closed: got is safe to read
		require.Len(t, got, 1)
		assert.Same(t, err, got[0])
		assert.ErrorIs(t, got[0], ErrDead)
	})
	t.Run("not after Stop", func(t *testing.T) {
		called := false
		h := newHarness(t, Options{OnDead: func(error) { called = true }}, &fakePeer{})
		h.advanceTo(10 * s)
		h.m.Stop()
		assert.False(t, called)
	})
}

// While paused (the application has stopped reading), silence is no
// verdict and pings keep going out; after Resume the next deadline counts.
func TestPause(t *testing.T) {
	h := newHarness(t, Options{}, &fakePeer{})
	h.m.Pause()
	h.advanceTo(60 * s)
	h.requireAlive()
	assert.Len(t, h.sentAt(), 4, "pings at 15, 30, 45 and 60 s")
	h.m.Resume()
	h.deadAt(70 * s)
}
