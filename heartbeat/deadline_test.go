package heartbeat

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingClock counts the AfterFunc timers the monitor makes.
type countingClock struct {
	*fakeClock
	mu         sync.Mutex
	afterFuncs int
}

func (c *countingClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	c.afterFuncs++
	c.mu.Unlock()
	return c.fakeClock.AfterFunc(d, f)
}

// ctxPinger records the distinct contexts the monitor sends with.
type ctxPinger struct {
	*fakePeer
	mu   sync.Mutex
	ctxs map[context.Context]bool
}

func (p *ctxPinger) Ping(ctx context.Context, payload []byte) error {
	p.mu.Lock()
	p.ctxs[ctx] = true
	p.mu.Unlock()
	return p.fakePeer.Ping(ctx, payload)
}

// TestPingsShareOneDeadline: the monitor runs on two timers for its whole
// life, its own and the send deadline's: no timer per ping. Each send has
// a context of its own, let go when it returns, so that between pings an
// idle connection holds none (with the watchers' table a Conn's write
// leaves in it).
func TestPingsShareOneDeadline(t *testing.T) {
	peer := &fakePeer{reply: always(10 * time.Millisecond)}
	var cc *countingClock
	p := &ctxPinger{fakePeer: peer, ctxs: map[context.Context]bool{}}
	h := startHarnessClock(t, Options{Interval: time.Second, Timeout: 500 * time.Millisecond}, peer, p,
		func(c *fakeClock) Clock { cc = &countingClock{fakeClock: c}; return cc })
	m := h.m
	h.advance(20*time.Second + 100*time.Millisecond)
	h.requireAlive()
	assert.Len(t, peer.sentCopy(), 20)
	assert.Equal(t, 2, cc.afterFuncs, "timers made: the monitor's and the send deadline's")
	assert.Len(t, p.ctxs, 20, "send contexts: one per ping")
	m.loop.d.mu.Lock()
	held := m.loop.d.ctx
	m.loop.d.mu.Unlock()
	assert.Nil(t, held, "between pings the monitor holds no send context")
}

// TestNoGoroutineBetweenPings: between its firings a monitor runs no
// goroutine: an idle connection's heartbeat is a timer.
func TestNoGoroutineBetweenPings(t *testing.T) {
	pinged := make(chan struct{}, 16)
	var m *Monitor
	ready := make(chan struct{})
	m, err := Start(pingFunc(func(_ context.Context, payload []byte) error {
		<-ready
		m.PongReceived(payload) // answered at once
		select {
		case pinged <- struct{}{}:
		default:
		}
		return nil
	}), Options{Interval: 5 * time.Millisecond, Timeout: time.Hour})
	require.NoError(t, err)
	close(ready)
	defer m.Stop()
	for range 3 {
		<-pinged
	}
	require.Eventually(t, func() bool { return monitorGoroutines() == 0 }, 10*time.Second, time.Millisecond,
		"goroutines running the monitor's code: %d", monitorGoroutines())
}

type pingFunc func(ctx context.Context, payload []byte) error

func (f pingFunc) Ping(ctx context.Context, payload []byte) error { return f(ctx, payload) }

// monitorGoroutines counts the goroutines inside the monitor's code.
func monitorGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("sturdy/heartbeat.(*Monitor)")) {
			n++
		}
	}
	return n
}
