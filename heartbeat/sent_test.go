package heartbeat

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

// socket stands for a connection whose kernel reports what the peer's TCP
// acknowledged: sent is transport.Conn.BytesWritten, acked its WriteAcked.
type socket struct{ sent, acked atomic.Uint64 }

func (k *socket) Sent() uint64  { return k.sent.Load() }
func (k *socket) Acked() uint64 { return k.acked.Load() }

// A half-open server: its TCP acknowledges everything at once while the
// application behind it never answers, and the program keeps writing. The
// ping itself is acknowledged with nothing ahead of it, so its pong is due
// within the timeout: dead at the first deadline, however much data keeps
// moving (without Sent, that movement would excuse the silence for ever).
func TestSentFindsPeerThatAcksButNeverAnswers(t *testing.T) {
	var k socket
	h := newHarness(t, Options{Progress: k.Acked, Sent: k.Sent}, &fakePeer{})
	h.every(s, s, 200*s, func() { k.sent.Add(1000); k.acked.Store(k.sent.Load()) })
	h.peer.onSend = func() { k.sent.Add(20); k.acked.Store(k.sent.Load()) }
	dead := h.deadAt(25 * s)
	assert.Equal(t, 10*s, dead.Waited)
}

// A slow link: 200 KiB wait ahead of each ping, drained at 16 KiB a
// second, and the pong comes 25 s after its ping. The bytes ahead are
// acknowledged all along, so the wait is excused, as with Progress alone.
func TestSentKeepsSlowLinkAlive(t *testing.T) {
	var k socket
	h := newHarness(t, Options{Progress: k.Acked, Sent: k.Sent}, &fakePeer{reply: always(25 * s)})
	k.sent.Store(200 << 10)
	h.peer.onSend = func() { k.sent.Add(20) }
	h.every(s, s, 200*s, func() {
		k.sent.Add(16 << 10) // the program keeps the link full
		k.acked.Add(16 << 10)
	})
	h.advanceTo(200 * s)
	h.requireAlive()
}

// Once the ping behind the data is acknowledged, its pong has a timeout
// from the moment that is seen, no more. The ping leaves at 15 s behind
// 150 KiB drained at 16 KiB a second, so it crosses at about 24.4 s; the
// check at 25 s sees it across and waits one more timeout; the pong never
// comes: dead at 35 s, though the program keeps the link moving.
func TestSentBoundsTheWaitOnceThePingCrossed(t *testing.T) {
	var k socket
	h := newHarness(t, Options{Progress: k.Acked, Sent: k.Sent}, &fakePeer{})
	k.sent.Store(150 << 10)
	h.peer.onSend = func() { k.sent.Add(20) }
	h.every(s, s, 200*s, func() { k.sent.Add(16 << 10); k.acked.Add(16 << 10) })
	dead := h.deadAt(35 * s)
	assert.Equal(t, 20*s, dead.Waited)
}
