package heartbeat

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// written stands for transport.Conn.BytesWritten: a count the test grows
// on the fake clock as a slow link takes bytes.
type written struct{ n atomic.Uint64 }

func (w *written) Progress() uint64 { return w.n.Load() }

// grow makes the link take 16 KiB every second from first to last.
func (w *written) grow(h *harness, first, last time.Duration) {
	h.every(first, s, last, func() { w.n.Add(16 << 10) })
}

// A pong stuck behind a large message on a slow link comes 25 s after its
// ping, past the 10 s timeout; while the writes move, the monitor waits for
// it instead of declaring the peer dead, and the next ping goes out on the
// first tick after the reply (issue 18: the heartbeat declared slow links
// dead).
func TestProgressKeepsSlowLinkAlive(t *testing.T) {
	var w written
	h := newHarness(t, Options{Progress: w.Progress}, &fakePeer{reply: always(25 * s)})
	w.grow(h, 1*s, 200*s)
	h.advanceTo(200 * s)
	h.requireAlive()
	// 15 s, answered at 40 s; 45 s, answered at 70 s; …
	assert.Equal(t, grid(15*s, 30*s, 200*s), h.sentAt())
	last, _ := h.m.RTT()
	assert.Equal(t, 25*s, last, "the late pong still measures the round trip")
}

// Without Progress the same link is dead at the first deadline, as before.
func TestNoProgressHookDeadlineIsFinal(t *testing.T) {
	var w written
	h := newHarness(t, Options{}, &fakePeer{reply: always(25 * s)})
	w.grow(h, 1*s, 200*s)
	dead := h.deadAt(25 * s)
	assert.Equal(t, 10*s, dead.Waited)
}

// Progress is bounded: once the link stops taking bytes (at 30 s), a whole
// timeout without growth or reply is death. The ping left at 15 s; its
// deadline moved to 35 s (growth since 15 s) and 45 s (growth from 25 to
// 30 s); nothing grew from 35 to 45 s.
func TestProgressThatStopsIsDeath(t *testing.T) {
	var w written
	h := newHarness(t, Options{Progress: w.Progress}, &fakePeer{})
	w.grow(h, 1*s, 30*s)
	dead := h.deadAt(45 * s)
	assert.Equal(t, 30*s, dead.Waited, "Waited covers the whole wait")
	assert.Equal(t, []time.Duration{15 * s}, h.sentAt(), "no other ping while one waits")
}

// The ping's own bytes are not progress: a silent peer whose only traffic
// is the heartbeat is dead at the first deadline.
func TestProgressIgnoresThePingItself(t *testing.T) {
	var w written
	peer := &fakePeer{onSend: func() { w.n.Add(14) }}
	h := newHarness(t, Options{Progress: w.Progress}, peer)
	dead := h.deadAt(25 * s)
	assert.Equal(t, 10*s, dead.Waited)
}

// A ping that cannot even be written for 25 s (it waits behind a large
// frame) is not cancelled while the link moves; once out, its reply is due
// a timeout later.
func TestProgressExtendsAPingStillBeingWritten(t *testing.T) {
	var w written
	until := make(chan struct{})
	peer := &fakePeer{block: true, until: until, reply: always(9 * s)}
	h := newHarness(t, Options{Progress: w.Progress}, peer)
	w.grow(h, 1*s, 40*s)
	h.clk.AfterFunc(40*s, func() {
		peer.mu.Lock()
		peer.block = false
		peer.mu.Unlock()
		close(until)
	})
	h.advanceTo(40 * s)
	for { // the send returns on the monitor's goroutine
		changed := h.clk.sig.wait()
		if !h.peer.isBlocked() {
			break
		}
		<-changed
	}
	h.settle()
	h.advanceTo(49*s + 1) // written at 40 s, answered at 49 s
	h.requireAlive()
	last, _ := h.m.RTT()
	assert.Equal(t, 34*s, last, "the round trip runs from the tick")
	h.advanceTo(60 * s)
	h.requireAlive()
	assert.Equal(t, []time.Duration{15 * s, 60 * s}, h.sentAt())
}

// A ping stuck in its write while nothing moves is still death at its
// timeout, with Progress set.
func TestProgressStuckPingWithoutMovementIsDeath(t *testing.T) {
	var w written
	h := newHarness(t, Options{Progress: w.Progress}, &fakePeer{block: true})
	dead := h.deadAt(25 * s)
	assert.Equal(t, 10*s, dead.Waited)
}
