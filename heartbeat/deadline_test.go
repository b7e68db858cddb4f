package heartbeat

import (
	"context"
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

// TestPingsShareOneDeadline: the send deadline of every ping is one timer
// and one context for the monitor's life, not a pair per ping, so an idle
// connection's heartbeat costs no allocation beyond the ping's payload.
func TestPingsShareOneDeadline(t *testing.T) {
	clk := newFakeClock()
	peer := &fakePeer{clk: clk, sig: clk.sig, reply: always(10 * time.Millisecond)}
	cc := &countingClock{fakeClock: clk}
	p := &ctxPinger{fakePeer: peer, ctxs: map[context.Context]bool{}}
	m, err := Start(p, Options{Interval: time.Second, Timeout: 500 * time.Millisecond, Clock: cc})
	require.NoError(t, err)
	t.Cleanup(m.Stop)
	peer.mu.Lock()
	peer.m = m
	peer.mu.Unlock()
	h := &harness{t: t, clk: clk, peer: peer, m: m, start: clk.Now()}
	h.advance(20*time.Second + 100*time.Millisecond)
	h.requireAlive()
	assert.Len(t, peer.sentCopy(), 20)
	assert.Equal(t, 1, cc.afterFuncs, "send-deadline timers made")
	assert.Len(t, p.ctxs, 1, "send contexts made")
}
