package heartbeat

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// spanSocket is a socket whose Acked counts its calls: each stands for
// the system call transport.Conn.WriteAcked makes.
type spanSocket struct {
	socket
	calls  atomic.Int64
	before func() // if set, run by PingSpan before the ping's write
	after  func() // if set, run by PingSpan once the ping's span is read
}

func (k *spanSocket) Acked() uint64 {
	k.calls.Add(1)
	return k.socket.Acked()
}

// spanPeer is the fake peer as a SpanPinger over k: a ping's span is
// where k.sent stood before and after the peer's onSend wrote its bytes.
type spanPeer struct {
	*fakePeer
	k *spanSocket
}

func (p spanPeer) PingSpan(ctx context.Context, payload []byte) (start, end uint64, err error) {
	if f := p.k.before; f != nil {
		f() // another write takes the socket first
	}
	start = p.k.sent.Load()
	err = p.Ping(ctx, payload)
	end = p.k.sent.Load()
	if f := p.k.after; f != nil {
		f() // another write comes right behind the ping
	}
	return start, end, err
}

// newSpanHarness starts a monitor over k, with Progress and Sent, and
// peer as a SpanPinger writing 14 bytes a ping.
func newSpanHarness(t *testing.T, k *spanSocket, peer *fakePeer) *harness {
	t.Helper()
	if peer.onSend == nil {
		peer.onSend = func() { k.sent.Add(14) }
	}
	return startHarness(t, Options{Progress: k.Acked, Sent: k.Sent}, peer, spanPeer{peer, k})
}

// An idle connection: each ping is answered and acknowledged, and nothing
// else is written. Only the first ping asks the kernel (before and after
// it is written); every later one follows an answered ping with nothing
// written since, so what the kernel would say is known.
func TestSpanIdlePingsSkipProgress(t *testing.T) {
	var k spanSocket
	peer := &fakePeer{reply: always(s)}
	peer.onSend = func() { k.sent.Add(14); k.acked.Store(k.sent.Load()) }
	h := newSpanHarness(t, &k, peer)
	h.advanceTo(15 * s)
	assert.EqualValues(t, 2, k.calls.Load(), "the first ping asks before and after its write")
	h.advanceTo(150 * s)
	h.requireAlive()
	assert.Len(t, h.sentAt(), 10)
	assert.EqualValues(t, 2, k.calls.Load(), "answered pings with nothing written since ask nothing")
}

// Data written since the last answered ping may be unacknowledged, so the
// next ping asks Progress again, before and after its write.
func TestSpanDataWrittenAsksProgress(t *testing.T) {
	var k spanSocket
	peer := &fakePeer{reply: always(s)}
	peer.onSend = func() { k.sent.Add(14); k.acked.Store(k.sent.Load()) }
	h := newSpanHarness(t, &k, peer)
	h.every(20*s, 15*s, 200*s, func() { k.sent.Add(100); k.acked.Store(k.sent.Load()) })
	h.advanceTo(150 * s)
	h.requireAlive()
	assert.EqualValues(t, 2*10, k.calls.Load(), "every ping after data asks twice")
}

// A ping withdrawn unanswered (the reader was paused) proves nothing: the
// ping after it asks Progress.
func TestSpanWithdrawnPingProvesNothing(t *testing.T) {
	var k spanSocket
	peer := &fakePeer{reply: firstN(1, s)}
	peer.onSend = func() { k.sent.Add(14); k.acked.Store(k.sent.Load()) }
	h := newSpanHarness(t, &k, peer)
	h.advanceTo(29 * s) // ping 1 answered, ping 2 out at 30 s
	h.m.Pause()
	h.advanceTo(44 * s) // ping 2 withdrawn at 40 s
	before := k.calls.Load()
	h.m.Resume()
	h.advanceTo(46 * s) // ping 3 at 45 s
	assert.Equal(t, before+2, k.calls.Load(), "the ping after a withdrawn one asks")
}

// The case the skip must not swallow: after an answered ping the program
// writes 400 KiB, drained at 16 KiB a second from 20 s to 45 s. The ping
// at 30 s waits behind it, crosses at about 45 s, and its pong comes 22 s
// after it left. Progress, consulted for that ping, shows the data ahead
// of it (queued), so the crossing at 45 s earns the pong a timeout from
// the check at 50 s. Had the ping been taken as alone on an acknowledged
// socket, the check at 50 s would find it across with nothing ahead, and
// the peer dead.
func TestSpanPingBehindDataWrittenSinceStaysAlive(t *testing.T) {
	var k spanSocket
	replies := func(n int) (time.Duration, bool) {
		if n == 2 {
			return 22 * s, true
		}
		return s, true
	}
	peer := &fakePeer{reply: replies}
	h := newSpanHarness(t, &k, peer)
	k.acked.Store(0)
	h.every(16*s, s, 16*s, func() { k.acked.Store(k.sent.Load()) }) // ping 1's bytes
	h.every(20*s, s, 20*s, func() { k.sent.Add(400 << 10) })
	h.every(21*s, s, 200*s, func() { k.acked.Store(min(k.acked.Load()+16<<10, k.sent.Load())) })
	h.advanceTo(60 * s)
	h.requireAlive()
}

// Ping 1 is answered and acknowledged; then the peer's TCP takes 32 KiB
// of what is written with ping 2, or just before it, and nothing more:
// ping 2 is dead at its deadline. Ping 2 is not alone on an acknowledged
// socket, so Progress is asked right after the write and sees the 32 KiB
// already taken; were it assumed, as for a lone ping, to stand where it
// stood before the write, the 32 KiB would pass for movement during the
// wait and grant another timeout.
func TestSpanPingNotAloneAsksProgress(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ahead bool // the 64 KiB go out in the ping's write, else in a write just before it
	}{{"buffered ahead of the ping", true}, {"written just before the ping", false}} {
		t.Run(tc.name, func(t *testing.T) {
			var k spanSocket
			n := 0
			data := func() { k.sent.Add(64 << 10); k.acked.Add(32 << 10) }
			peer := &fakePeer{reply: firstN(1, s)}
			peer.onSend = func() {
				if n++; n == 1 {
					k.sent.Add(14)
					k.acked.Store(k.sent.Load())
					return
				}
				if tc.ahead {
					data()
				}
				k.sent.Add(14)
			}
			if !tc.ahead {
				k.before = func() {
					if n == 1 {
						data()
					}
				}
			}
			h := newSpanHarness(t, &k, peer)
			dead := h.deadAt(40 * s)
			assert.Equal(t, 10*s, dead.Waited)
		})
	}
}

// A lone ping on an acknowledged socket, never answered, is dead at its
// deadline, though Progress was not asked after its write: whether the
// peer's TCP then acknowledges its bytes (a half-open peer, as Sent
// promises) or not (the peer is gone).
func TestSpanLonePingUnansweredIsDead(t *testing.T) {
	for _, acked := range []bool{true, false} {
		t.Run(fmt.Sprintf("acknowledged=%v", acked), func(t *testing.T) {
			var k spanSocket
			n := 0
			peer := &fakePeer{reply: firstN(1, s)}
			peer.onSend = func() {
				k.sent.Add(14)
				if n++; n == 1 || acked {
					k.acked.Store(k.sent.Load())
				}
			}
			h := newSpanHarness(t, &k, peer)
			dead := h.deadAt(40 * s)
			assert.Equal(t, 10*s, dead.Waited)
			assert.EqualValues(t, 2+1, k.calls.Load(), "ping 2 asked nothing until its deadline")
		})
	}
}

// A write that follows ping 2 before the monitor looks (64 KiB, drained
// at 16 KiB a second, the ping's bytes acknowledged at once, no answer)
// leaves Sent past the ping's end: the monitor asks Progress and judges
// as it does without spans, where the data behind the ping counts as
// ahead of it (it ends at Sent's count) and earns one more timeout once
// across: dead at 50 s rather than 40 s.
func TestSpanWriteAfterPingJudgedAsWithoutSpans(t *testing.T) {
	var k spanSocket
	n := 0
	peer := &fakePeer{reply: firstN(1, s)}
	peer.onSend = func() { k.sent.Add(14); k.acked.Store(k.sent.Load()) }
	k.after = func() {
		if n++; n == 2 {
			k.sent.Add(64 << 10)
		}
	}
	h := newSpanHarness(t, &k, peer)
	h.every(31*s, s, 200*s, func() { k.acked.Store(min(k.acked.Load()+16<<10, k.sent.Load())) })
	dead := h.deadAt(50 * s)
	assert.Equal(t, 20*s, dead.Waited)
}
