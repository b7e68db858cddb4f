package heartbeat

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// settleLimit bounds every wait for the monitor's goroutine. It only turns a
// hang into a failure; no test waits for it to pass.
const settleLimit = 10 * time.Second

// maxFiresPerInstant is far more timers than any test schedules for one
// instant of fake time.
const maxFiresPerInstant = 1000

// sent is one heartbeat the monitor sent to the fake peer.
type sent struct {
	at      time.Time
	payload []byte
	binary  bool
	message bool // sent with SendHeartbeat rather than Ping
}

// fakePeer is the connection: it records heartbeats and answers them as the
// test scripts, on the fake clock.
type fakePeer struct {
	sig *signal
	clk *fakeClock

	mu sync.Mutex
	m  *Monitor
	// reply says whether and after how long to answer the nth heartbeat
	// (from 1). nil never answers.
	reply func(n int) (time.Duration, bool)
	// pong is the reply message for application-level heartbeats; control
	// pings are answered by echoing their payload.
	pong  []byte
	err   error // returned by every send
	block bool  // sends wait for their context instead
	// until, with block, ends the wait when closed: the send then goes
	// through and is answered as reply says.
	until   chan struct{}
	blocked int
	// onSend, if set, is called for each heartbeat as it is written (the
	// bytes the socket takes).
	onSend func()
	sent   []sent
}

func (p *fakePeer) Ping(ctx context.Context, payload []byte) error {
	return p.send(ctx, sent{payload: payload})
}

func (p *fakePeer) SendHeartbeat(ctx context.Context, payload []byte, binary bool) error {
	return p.send(ctx, sent{payload: payload, binary: binary, message: true})
}

func (p *fakePeer) send(ctx context.Context, s sent) error {
	s.at = p.clk.Now()
	p.mu.Lock()
	p.sent = append(p.sent, s)
	n, m, reply, pong, err, block, until, onSend := len(p.sent), p.m, p.reply, p.pong, p.err, p.block, p.until, p.onSend
	if block {
		p.blocked++
	}
	p.mu.Unlock()
	if block {
		p.sig.kick()
		var cerr error
		select {
		case <-ctx.Done():
			cerr = ctx.Err()
		case <-until:
		}
		p.mu.Lock()
		p.blocked--
		p.mu.Unlock()
		p.sig.kick()
		if cerr != nil {
			return cerr
		}
	}
	if onSend != nil {
		onSend()
	}
	if err != nil {
		return err
	}
	if reply == nil {
		return nil
	}
	if d, ok := reply(n); ok {
		p.clk.AfterFunc(d, func() {
			if s.message {
				m.MessageReceived(pong)
			} else {
				m.PongReceived(s.payload)
			}
		})
	}
	return nil
}

func (p *fakePeer) blockedCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.blocked
}

func (p *fakePeer) isBlocked() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.blocked > 0
}

func (p *fakePeer) sentCopy() []sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]sent(nil), p.sent...)
}

// harness runs one monitor against a fake peer on a fake clock.
type harness struct {
	t     *testing.T
	clk   *fakeClock
	peer  *fakePeer
	m     *Monitor
	start time.Time
}

// newHarness starts a monitor with opts against peer; the test's cleanup
// stops it.
func newHarness(t *testing.T, opts Options, peer *fakePeer) *harness {
	t.Helper()
	return startHarness(t, opts, peer, peer)
}

// startHarness is newHarness with p, which sends through peer, as the
// monitor's Pinger.
func startHarness(t *testing.T, opts Options, peer *fakePeer, p Pinger) *harness {
	t.Helper()
	return startHarnessClock(t, opts, peer, p, func(c *fakeClock) Clock { return c })
}

// startHarnessClock is startHarness with the monitor's Clock made by
// wrap from the harness's fake clock (a clock that counts what the
// monitor asks of it).
func startHarnessClock(t *testing.T, opts Options, peer *fakePeer, p Pinger, wrap func(*fakeClock) Clock) *harness {
	t.Helper()
	clk := newFakeClock()
	peer.clk, peer.sig = clk, clk.sig
	opts.Clock = wrap(clk)
	m, err := Start(p, opts)
	require.NoError(t, err)
	t.Cleanup(m.Stop)
	peer.mu.Lock()
	peer.m = m
	peer.mu.Unlock()
	return &harness{t: t, clk: clk, peer: peer, m: m, start: clk.Now()}
}

// advance moves the fake clock forward by d, one timer at a time, letting the
// monitor finish reacting to each before the next.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	target := h.clk.Now().Add(d)
	last, sameInstant := h.clk.Now(), 0
	for h.clk.step(target) {
		h.settle()
		// A monitor that rearms for "now" again and again would otherwise
		// spin here forever without time moving.
		if now := h.clk.Now(); now.Equal(last) {
			if sameInstant++; sameInstant > maxFiresPerInstant {
				h.t.Fatalf("timers keep firing at %v without time moving", now.Sub(h.start))
			}
		} else {
			last, sameInstant = now, 0
		}
	}
}

// advanceTo moves the fake clock to offset at from the monitor's start.
func (h *harness) advanceTo(at time.Duration) {
	h.t.Helper()
	h.advance(h.start.Add(at).Sub(h.clk.Now()))
}

// settle waits until every timer callback has finished, but for those
// blocked in a send (which wait for a later timer), or the monitor is gone.
func (h *harness) settle() {
	h.t.Helper()
	limit := time.NewTimer(settleLimit)
	defer limit.Stop()
	for {
		changed := h.clk.sig.wait()
		if !h.clk.pending(h.peer.blockedCount()) {
			return
		}
		select {
		case <-changed:
		case <-h.m.Done():
			return
		case <-limit.C:
			h.t.Fatal("monitor did not go back to waiting on its timer")
		}
	}
}

// requireDead waits for the monitor to end and returns its cause.
func (h *harness) requireDead() error {
	h.t.Helper()
	select {
	case <-h.m.Done():
	case <-time.After(settleLimit):
		h.t.Fatal("monitor did not end")
	}
	err := h.m.Err()
	require.Error(h.t, err)
	return err
}

// requireAlive checks that the monitor has not ended; call it after advance,
// which leaves the monitor settled.
func (h *harness) requireAlive() {
	h.t.Helper()
	select {
	case <-h.m.Done():
		h.t.Fatalf("monitor ended at %v: %v", h.clk.Now().Sub(h.start), h.m.Err())
	default:
	}
}

// dieAt checks that the monitor is alive just before at (an offset from
// start) and has ended at at, and returns its cause.
func (h *harness) dieAt(at time.Duration) error {
	h.t.Helper()
	h.advanceTo(at - 1)
	h.requireAlive()
	h.advance(1)
	return h.requireDead()
}

// deadAt is dieAt for a monitor that must end with a *DeadError.
func (h *harness) deadAt(at time.Duration) *DeadError {
	h.t.Helper()
	var dead *DeadError
	require.ErrorAs(h.t, h.dieAt(at), &dead)
	return dead
}

// sentAt returns when each heartbeat was sent, as offsets from start.
func (h *harness) sentAt() []time.Duration {
	var at []time.Duration
	for _, s := range h.peer.sentCopy() {
		at = append(at, s.at.Sub(h.start))
	}
	return at
}

// every calls f at first, first+every, ... up to and including last, on the
// fake clock.
func (h *harness) every(first, every, last time.Duration, f func()) {
	var tick func()
	at := first
	tick = func() {
		f()
		at += every
		if at <= last {
			h.clk.AfterFunc(every, tick)
		}
	}
	h.clk.AfterFunc(first-h.clk.Now().Sub(h.start), tick)
}

// grid returns from, from+step, ... up to and including to.
func grid(from, step, to time.Duration) []time.Duration {
	var g []time.Duration
	for at := from; at <= to; at += step {
		g = append(g, at)
	}
	return g
}

// always answers every heartbeat after d.
func always(d time.Duration) func(int) (time.Duration, bool) {
	return func(int) (time.Duration, bool) { return d, true }
}

// firstN answers the first n heartbeats after d, then goes silent.
func firstN(n int, d time.Duration) func(int) (time.Duration, bool) {
	return func(i int) (time.Duration, bool) { return d, i <= n }
}
