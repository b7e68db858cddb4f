package heartbeat

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tryPeer is spanPeer with TryPingSpan: it sends at once unless refuse
// says otherwise, and records which way each ping went.
type tryPeer struct {
	spanPeer

	mu      sync.Mutex
	refuse  bool   // TryPingSpan sends nothing
	err     error  // TryPingSpan fails the ping
	tried   []int  // ping ids offered to TryPingSpan, in order
	spanned []int  // ping ids sent through PingSpan, in order
	starts  []bool // for each offer, whether its start was Sent's count then
}

func (p *tryPeer) TryPingSpan(payload []byte, start uint64, timeout time.Duration) (uint64, bool, error) {
	p.mu.Lock()
	p.tried = append(p.tried, pingID(payload))
	p.starts = append(p.starts, start == p.k.sent.Load())
	refuse, err := p.refuse, p.err
	p.mu.Unlock()
	if refuse {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	// The payload is only lent: the peer keeps a copy, as a frame's bytes
	// are one, and the monitor writes the next ping's id over it.
	if perr := p.Ping(context.Background(), bytes.Clone(payload)); perr != nil {
		return 0, true, perr
	}
	return p.k.sent.Load(), true, nil
}

func (p *tryPeer) PingSpan(ctx context.Context, payload []byte) (uint64, uint64, error) {
	p.mu.Lock()
	p.spanned = append(p.spanned, pingID(payload))
	p.mu.Unlock()
	return p.spanPeer.PingSpan(ctx, payload)
}

func (p *tryPeer) routes() (tried, spanned []int, starts []bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.tried...), append([]int(nil), p.spanned...), append([]bool(nil), p.starts...)
}

func pingID(payload []byte) int {
	id := 0
	for _, b := range payload {
		id = id<<8 | int(b)
	}
	return id
}

// newTryHarness is newSpanHarness with the peer as a TryPinger; each
// ping's 14 bytes are acknowledged as they are written.
func newTryHarness(t *testing.T) (*harness, *tryPeer, *spanSocket) {
	t.Helper()
	k := &spanSocket{}
	peer := &fakePeer{reply: always(s)}
	peer.onSend = func() { k.sent.Add(14); k.acked.Store(k.sent.Load()) }
	tp := &tryPeer{spanPeer: spanPeer{peer, k}}
	return startHarness(t, Options{Progress: k.Acked, Sent: k.Sent}, peer, tp), tp, k
}

// An idle connection's pings after the first go through TryPingSpan, from
// where the last answered ping ended: the first has no answered ping
// behind it, so it goes through PingSpan under its deadline.
func TestTryPingerCarriesIdlePings(t *testing.T) {
	h, tp, k := newTryHarness(t)
	h.advanceTo(150 * s)
	h.requireAlive()
	tried, spanned, starts := tp.routes()
	assert.Equal(t, []int{1}, spanned, "only the first ping needs a deadline")
	assert.Equal(t, []int{2, 3, 4, 5, 6, 7, 8, 9, 10}, tried)
	for i, ok := range starts {
		assert.True(t, ok, "offer %d starts where Sent stands", i)
	}
	assert.EqualValues(t, 2, k.calls.Load(), "the offered pings ask Progress nothing")
}

// Data written since the last answered ping leaves the monitor not
// knowing what is unacknowledged: that ping goes through PingSpan.
func TestTryPingerNotOfferedAfterWrites(t *testing.T) {
	h, tp, k := newTryHarness(t)
	h.every(50*s, s, 50*s, func() { k.sent.Add(100); k.acked.Store(k.sent.Load()) })
	h.advanceTo(100 * s)
	h.requireAlive()
	tried, spanned, _ := tp.routes()
	assert.Equal(t, []int{1, 4}, spanned, "the ping after the write at 50 s")
	assert.Equal(t, []int{2, 3, 5, 6}, tried)
}

// A connection that cannot take the ping at once (busy, or written since)
// sends nothing: the same ping then goes through PingSpan.
func TestTryPingerRefusedFallsBackToSpan(t *testing.T) {
	h, tp, _ := newTryHarness(t)
	h.advanceTo(20 * s)
	tp.mu.Lock()
	tp.refuse = true
	tp.mu.Unlock()
	h.advanceTo(50 * s)
	h.requireAlive()
	tried, spanned, _ := tp.routes()
	assert.Equal(t, []int{2, 3}, tried)
	assert.Equal(t, []int{1, 2, 3}, spanned, "each refused ping is sent by PingSpan")
	var ids []int
	for _, x := range h.peer.sentCopy() {
		ids = append(ids, pingID(x.payload))
	}
	assert.Equal(t, []int{1, 2, 3}, ids, "each ping reached the peer once")
}

// An offered ping that is never answered is judged at its deadline, as
// any ping is: sending it without a deadline of its own changes nothing
// about the verdict.
func TestTryPingerUnansweredIsDead(t *testing.T) {
	k := &spanSocket{}
	peer := &fakePeer{reply: firstN(1, s)}
	peer.onSend = func() { k.sent.Add(14); k.acked.Store(k.sent.Load()) }
	tp := &tryPeer{spanPeer: spanPeer{peer, k}}
	h := startHarness(t, Options{Progress: k.Acked, Sent: k.Sent}, peer, tp)
	err := h.dieAt(30*s + DefaultTimeout)
	require.ErrorIs(t, err, ErrDead)
	tried, _, _ := tp.routes()
	assert.Equal(t, []int{2}, tried, "the unanswered ping went without a deadline")
}

// An offered ping that fails ends the monitor with the connection's
// error, as a failed PingSpan does.
func TestTryPingerErrorEndsMonitor(t *testing.T) {
	h, tp, _ := newTryHarness(t)
	h.advanceTo(20 * s)
	boom := errors.New("socket reset")
	tp.mu.Lock()
	tp.err = boom
	tp.mu.Unlock()
	h.advance(10 * s)
	err := h.requireDead()
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrDead)
	_, spanned, _ := tp.routes()
	assert.Equal(t, []int{1}, spanned, "a failed offer is not sent again")
}

// deadlineTimer reports whether the send deadline holds a timer.
func deadlineTimer(m *Monitor) bool {
	d := m.loop.d
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.timer != nil
}

// A quiet connection keeps no deadline timer once its pings go without
// one; the first ping that needs one again (data was written since) gets
// a new one, and a send that then sticks is death at its timeout.
func TestTryPingerLetsTheDeadlineTimerGo(t *testing.T) {
	h, tp, k := newTryHarness(t)
	h.advanceTo(16 * s)
	assert.True(t, deadlineTimer(h.m), "the first ping was sent under a deadline")
	h.advanceTo(31 * s)
	assert.False(t, deadlineTimer(h.m), "a ping sent at once lets it go")
	h.every(50*s, s, 50*s, func() {
		k.sent.Add(100)
		h.peer.mu.Lock()
		h.peer.block = true // the next send sticks
		h.peer.mu.Unlock()
	})
	dead := h.deadAt(60*s + DefaultTimeout)
	assert.Equal(t, DefaultTimeout, dead.Waited)
	_, spanned, _ := tp.routes()
	assert.Equal(t, []int{1, 4}, spanned)
}
