package heartbeat

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// Monitor watches one connection for liveness. A timer of its own sends the
// pings and judges the replies; it runs only when due, so a monitor owns no
// goroutine between its firings. The connection's reader feeds it through
// FrameReceived, PongReceived and MessageReceived.
type Monitor struct {
	// frames counts inbound frames and messages. The read path bumps it on
	// every frame; the monitor only compares snapshots of it, so no frame
	// ever waits for the monitor.
	frames atomic.Uint64
	// expected is the id of the ping awaiting its reply, 0 when none. It is
	// written only under mu, but read without it so that stale and
	// unsolicited pongs are turned away without locking.
	expected atomic.Uint64
	// paused is set while the reader is held up by the application (see
	// Pause): a pong may be sitting unread, so silence proves nothing.
	paused atomic.Bool
	// stopped is set by Stop, which also aborts a ping being sent. No
	// context of the monitor's own: a cancellable context and the link
	// its send deadline's makes to it cost an idle connection half a
	// kilobyte. (Beside paused, so that the two share a word.)
	stopped atomic.Bool

	mu     sync.Mutex
	sentAt time.Time    // when the expected ping left
	sample bool         // whether its reply may feed the RTT estimate
	rtt    rttEstimator // guarded by mu

	opts     Options // defaults applied
	appLevel bool    // cached opts.Strategy.appLevel(), read on every frame
	anyFrame bool    // opts.Mode == AnyFrame: only then does frames count
	// send sends ping id and, from a SpanPinger, says where it went in
	// Sent's stream (end 0: unknown).
	send func(ctx context.Context, id uint64) (start, end uint64, err error)
	seq  uint64 // id of the last ping sent; guarded by loop.mu
	// try, when the connection is a TryPinger used with Sent, sends a
	// ping without a context when nothing is unacknowledged (sendNow),
	// its payload written into tryPayload, under loop.mu.
	try        TryPinger
	tryPayload [8]byte

	loop loop // the timer's state (loop.go)

	done chan struct{} // closed, under loop.mu, when the monitor ends
	err  error         // written before done is closed
}

// Start validates opts and starts monitoring the connection behind p. The
// first ping goes out one Interval after Start; Start itself sends nothing.
// When opts.Strategy is application-level, p must also implement
// [MessageSender]. Call Stop when the connection ends; it is harmless after
// the monitor has already ended on its own.
func Start(p Pinger, opts Options) (*Monitor, error) {
	if p == nil {
		return nil, errNilPinger
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	m := &Monitor{
		opts:     opts,
		appLevel: opts.Strategy.appLevel(),
		anyFrame: opts.Mode == AnyFrame,
		done:     make(chan struct{}),
	}
	if m.appLevel {
		ms, ok := p.(MessageSender)
		if !ok {
			return nil, &OptionError{Field: "Strategy", Reason: "it sends application messages, so the connection must implement MessageSender"}
		}
		msg, bin := bytes.Clone(opts.Strategy.Message), opts.Strategy.Binary
		m.send = func(ctx context.Context, _ uint64) (uint64, uint64, error) {
			return 0, 0, ms.SendHeartbeat(ctx, bytes.Clone(msg), bin)
		}
	} else if sp, ok := p.(SpanPinger); ok && opts.Sent != nil && opts.Progress != nil {
		m.send = func(ctx context.Context, id uint64) (uint64, uint64, error) {
			return sp.PingSpan(ctx, binary.BigEndian.AppendUint64(make([]byte, 0, 8), id))
		}
		m.try, _ = p.(TryPinger)
	} else {
		m.send = func(ctx context.Context, id uint64) (uint64, uint64, error) {
			return 0, 0, p.Ping(ctx, binary.BigEndian.AppendUint64(make([]byte, 0, 8), id))
		}
	}
	// The schedule is fixed here, not at the first firing, so that the
	// first ping is due exactly one Interval after Start however late the
	// firing runs. The lock keeps a firing from running before the loop
	// is in place.
	l := &m.loop
	l.mu.Lock()
	defer l.mu.Unlock()
	l.d = &sendDeadline{clk: opts.Clock, progress: opts.Progress}
	l.next = opts.Clock.Now().Add(opts.Interval)
	l.t = opts.Clock.AfterFunc(opts.Interval, m.step)
	return m, nil
}

// Done returns a channel that is closed once the monitor has ended, because
// the peer was found dead, a ping could not be sent, or Stop was called. When
// it is closed none of the monitor's work runs any more. Safe for concurrent
// use.
func (m *Monitor) Done() <-chan struct{} { return m.done }

// Err returns why the monitor ended: a [*DeadError] (errors.Is(err, ErrDead))
// when the peer stayed silent, or the Pinger's error, wrapped, when a ping
// could not be sent. It returns nil while the monitor runs and when Stop ended
// it first. The cause is decided once and never changes. Safe for concurrent
// use.
func (m *Monitor) Err() error {
	select {
	case <-m.done:
		return m.err
	default:
		return nil
	}
}

// Stop ends the monitor and returns once none of its work runs any more,
// cancelling a Ping in progress. It is idempotent and safe for concurrent
// use; it leaves a cause already reported in place. It must not be called
// from OnDead or from the Pinger.
func (m *Monitor) Stop() {
	m.stopped.Store(true)
	l := &m.loop
	l.d.abort() // a firing blocked in a send holds loop.mu until it returns
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ended {
		m.end()
	}
}

// Pause tells the monitor that the connection's reader is held up by the
// application (its inbound buffer is full), so replies cannot be read: no
// verdict of death is given while paused, and a ping whose deadline passes
// meanwhile is withdrawn and followed by a fresh one. Pings keep going out;
// one stuck in a write still means dead. Resume ends the pause. Safe for
// concurrent use; cheap enough for the read path.
func (m *Monitor) Pause() { m.paused.Store(true) }

// Resume ends a Pause: the next ping's deadline counts again.
func (m *Monitor) Resume() { m.paused.Store(false) }

// RTT returns the last measured round-trip time and its smoothed value
// (TCP's SRTT, a moving average with gain 1/8), both 0 until the first reply.
// Safe for concurrent use.
func (m *Monitor) RTT() (last, smoothed time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rtt.last, m.rtt.srtt
}

// FrameReceived tells the monitor that a frame or message arrived. Call it
// from the read path for every inbound frame; in AnyFrame mode it is what
// keeps the connection alive. It is one atomic add: it never allocates, never
// blocks and never waits on the monitor. Safe for concurrent use, and after
// the monitor has ended.
func (m *Monitor) FrameReceived() { m.frames.Add(1) }

// PongReceived tells the monitor that a pong control frame arrived with
// payload. A pong that echoes the outstanding ping answers it and yields a
// round-trip sample; any other pong, including unsolicited ones and replies to
// pings already judged, only counts as a frame. It implies FrameReceived. It
// does not keep payload, never allocates, and takes the monitor's mutex only
// for the matching pong, briefly. Safe for concurrent use, and after the
// monitor has ended.
func (m *Monitor) PongReceived(payload []byte) {
	m.frames.Add(1)
	if m.appLevel || len(payload) != 8 {
		return
	}
	id := binary.BigEndian.Uint64(payload)
	if id == 0 || m.expected.Load() != id {
		return
	}
	m.answer(id)
}

// MessageReceived tells the monitor that a data message arrived and reports
// whether it is a heartbeat reply of the application-level Strategy, which
// the caller should then swallow rather than hand to the application. A reply
// answers the outstanding ping, matched by order; replies when no ping is
// outstanding are still reported true but prove nothing. With the
// control-frame strategy it returns false. It implies FrameReceived and does
// not keep payload. Safe for concurrent use, and after the monitor has ended.
func (m *Monitor) MessageReceived(payload []byte) (isHeartbeatReply bool) {
	if m.anyFrame {
		m.frames.Add(1)
	}
	if !m.appLevel || !m.opts.Strategy.IsReply(payload) {
		return false
	}
	if m.expected.Load() != 0 {
		m.answer(byOrder)
	}
	return true
}

// byOrder asks answer to settle whichever ping is outstanding. It cannot
// collide with a real id, which starts at 1.
const byOrder = 0

// answer settles the outstanding ping if it is id (or any when id is
// byOrder) and records the round trip.
func (m *Monitor) answer(id uint64) {
	now := m.clock().Now()
	m.mu.Lock()
	got := m.expected.Load()
	if got == 0 || (id != byOrder && got != id) {
		m.mu.Unlock()
		return
	}
	m.expected.Store(0)
	sample := m.sample
	rtt := now.Sub(m.sentAt)
	if sample {
		m.rtt.add(rtt)
	}
	m.mu.Unlock()
	m.rearm(got)
	if sample && m.opts.OnRTT != nil {
		m.opts.OnRTT(rtt)
	}
}

// install makes id the outstanding ping, sent at now, and returns its
// timeout.
func (m *Monitor) install(id uint64, now time.Time) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	abandoned := m.expected.Load() != 0
	m.sentAt = now
	// With order matching, the first reply after an abandoned ping may be
	// the late answer to that ping (Karn's rule). Ids make control pongs
	// unambiguous.
	m.sample = !abandoned || !m.appLevel
	m.expected.Store(id)
	if !m.opts.AdaptiveTimeout {
		return m.opts.Timeout
	}
	return m.rtt.timeout(m.opts.MinTimeout, m.opts.Timeout)
}

// withdraw reports whether ping id was still unanswered and, if so, stops
// waiting for it, so that a reply racing with the verdict cannot count.
func (m *Monitor) withdraw(id uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.expected.Load() != id {
		return false
	}
	m.expected.Store(0)
	return true
}

// deadError builds the cause reported for a ping that waited in vain.
func (m *Monitor) deadError(waited time.Duration) *DeadError {
	m.mu.Lock()
	defer m.mu.Unlock()
	return &DeadError{Waited: waited, Mode: m.opts.Mode, LastRTT: m.rtt.last}
}

func (m *Monitor) clock() Clock { return m.opts.Clock }
