package heartbeat

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// probe is the last ping as the monitor's timer sees it.
type probe struct {
	id       uint64        // 0 before the first ping
	deadline time.Time     // send time + timeout
	timeout  time.Duration // reported as DeadError.Waited
	frames   uint64        // frame count when the ping left; AnyFrame compares against it
	judged   bool          // the deadline has passed and the peer was alive
	sent     time.Time     // when the ping left
	progress uint64        // Options.Progress once the ping was written, then at each extension
	end      uint64        // Options.Sent once the ping was written: where its last byte lies
	queued   uint64        // bytes not yet acknowledged once the ping was written, the ping's included
	received bool          // Options.Sent is set and the peer has acknowledged the ping's bytes
	// proves is where the ping's last byte lies in Sent's stream, as its
	// SpanPinger reported: the ping's answer proves the peer's TCP has
	// acknowledged every byte up to there. 0: unknown, or withdrawn
	// unanswered.
	proves uint64
}

// maxPingWrite bounds a write that carries a ping and nothing more than a
// small frame or two: a ping frame is at most 131 bytes. A write that
// small is one TCP segment, acknowledged whole or not at all.
const maxPingWrite = 256

// nothingAhead is how many unacknowledged bytes a ping may have had ahead
// of it, itself included, and still count as having reached the peer at
// once: a ping frame is at most 131 bytes, and a confirmation ping or a
// small message may ride with it. A ping with more ahead may have crossed
// only at the end of its wait, so it is given a timeout from then.
const nothingAhead = 4 << 10

// loop is the monitor's state between its timer's firings.
type loop struct {
	mu    sync.Mutex // held by a firing, and by Stop to wait for one
	ended bool       // done is closed; no firing does anything more
	t     Timer      // runs step; made by Start
	next  time.Time  // the next tick of the ping grid
	p     probe
	// One deadline serves every ping, so a ping costs no context and no
	// timer of its own.
	d *sendDeadline
}

// step runs each time the monitor's timer fires, at the next tick or the
// outstanding ping's deadline, whichever is first, and reads what the
// reader recorded in atomics. The reader never signals it, so a flood of
// inbound frames costs it nothing and cannot delay a verdict. Between
// firings no goroutine of the monitor exists: an idle connection's
// heartbeat is a timer, not a parked goroutine.
func (m *Monitor) step() {
	l := &m.loop
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return
	}
	if m.stopped.Load() || !m.tick(l) {
		m.end()
	}
}

// end closes the monitor down: called with loop.mu held, once.
func (m *Monitor) end() {
	l := &m.loop
	l.ended = true
	l.t.Stop()
	l.d.release()
	close(m.done)
}

// tick is one firing's work; it reports false when the monitor ends.
func (m *Monitor) tick(l *loop) bool {
	p, d := &l.p, l.d
	now := m.clock().Now()
	// The deadline is judged before the tick so that, when they fall
	// together (Timeout equal to Interval), silence is reported rather
	// than papered over by a new ping.
	if p.id != 0 && !p.judged && !now.Before(p.deadline) {
		switch m.verdict(p) {
		case dead:
			m.finish(m.deadError(p.deadline.Sub(p.sent)))
			return false
		case moving:
			// Writes are getting through: wait another timeout
			// for the same ping.
			p.deadline = now.Add(p.timeout)
		default:
			p.judged = true
		}
	}
	if !now.Before(l.next) {
		l.next = nextTick(l.next, now, m.opts.Interval)
		// A tick while the last ping awaits its verdict is skipped:
		// at most one ping is outstanding.
		if p.id == 0 || m.heardSince(p) {
			if err := m.ping(p, d, now); err != nil {
				m.finish(err)
				return false
			}
		}
	}
	wake := l.next
	if p.id != 0 && !p.judged && m.expected.Load() == p.id && p.deadline.Before(wake) {
		wake = p.deadline // an answered ping needs no firing at its deadline
	}
	l.t.Reset(wake.Sub(m.clock().Now()))
	return true
}

// rearm moves the timer from the deadline of a ping just answered to the
// next tick, so that on a healthy connection each ping costs one firing,
// not two: on an idle fleet, every firing is a goroutine started and a
// scheduler pass. Called by the reader after the answer is recorded. It
// never waits for a firing in progress (which may be held up sending a
// ping): that firing reads the answer itself when it sets the timer.
func (m *Monitor) rearm(id uint64) {
	l := &m.loop
	if !l.mu.TryLock() {
		return
	}
	defer l.mu.Unlock()
	if l.ended || l.p.judged || l.p.id != id {
		return // a later ping's deadline stands
	}
	l.t.Reset(l.next.Sub(m.clock().Now()))
}

// heardSince reports, without consuming anything, whether the peer has
// answered ping p (or, in AnyFrame mode, sent anything since it left).
func (m *Monitor) heardSince(p *probe) bool {
	if m.opts.Mode == AnyFrame && m.frames.Load() != p.frames {
		return true
	}
	return m.expected.Load() != p.id
}

// Verdicts on a ping whose deadline has passed.
const (
	alive  = iota // answered (or excused by a pause)
	moving        // unanswered, but the connection's writes made progress
	dead
)

// verdict judges ping p once its deadline has passed. In AnyFrame mode
// traffic suffices and the ping stays outstanding, so a late pong still
// yields a round-trip sample; so does a ping kept waiting because writes
// are moving.
func (m *Monitor) verdict(p *probe) int {
	if m.paused.Load() {
		// The reader is held up by the application: the reply may be
		// unread in the socket. Withdraw the ping so the next tick sends
		// a fresh one, judged after the pause.
		m.withdraw(p.id)
		p.proves = 0 // unanswered: it proves nothing
		return alive
	}
	if m.opts.Mode == AnyFrame && m.frames.Load() != p.frames {
		return alive
	}
	if m.expected.Load() != p.id {
		return alive // answered
	}
	if f := m.opts.Progress; f != nil {
		n := f()
		switch {
		case m.opts.Sent == nil:
			if n != p.progress {
				p.progress = n
				return moving
			}
		case p.received:
			// The peer has had the ping for a whole timeout.
		case n >= p.end && p.queued > nothingAhead:
			// The ping crossed during this wait, behind data: its pong
			// is due a timeout from now.
			p.received = true
			return moving
		case n >= p.end:
			// Nothing was ahead of the ping: the peer has had it for
			// about the whole timeout.
		case n != p.progress:
			p.progress = n
			return moving
		}
	}
	if !m.withdraw(p.id) {
		return alive // the reply came in just now
	}
	return dead
}

// ping sends the next heartbeat, sent at now, and makes it the outstanding
// probe. The send is bounded by the ping's own timeout, extended, as the
// reply's deadline is, while Options.Progress shows writes moving.
func (m *Monitor) ping(p *probe, d *sendDeadline, now time.Time) error {
	base, known := m.cleared(p) // before p is overwritten
	m.seq++
	frames := m.frames.Load()
	timeout := m.install(m.seq, now)
	*p = probe{id: m.seq, deadline: now.Add(timeout), timeout: timeout, frames: frames, sent: now}

	start, end, done, err := m.sendNow(base, known, timeout)
	var ctx context.Context // nil when sendNow sent the ping
	if !done {
		ctx = d.start(timeout, base, known)
		start, end, err = m.send(ctx, m.seq)
		d.stop()
	} else if err == nil {
		d.idle()
	}
	switch {
	case err == nil:
		if f := m.opts.Progress; f != nil {
			p.proves = end
			switch sent := m.opts.Sent; {
			case sent == nil:
				p.progress = f()
			case known && start == base && end-start <= maxPingWrite && sent() == end:
				// The ping went out alone onto a socket with nothing
				// unacknowledged: what Progress would say is known. Its
				// bytes are one segment, acknowledged whole or not at
				// all; if they were already, a deadline finds Progress
				// at end and declares the peer dead, as it would with
				// received set, so the ping counts as not yet across.
				p.progress, p.end, p.queued = base, end, end-base
			default:
				p.progress = f()
				p.end = sent()
				p.queued = p.end - min(p.progress, p.end)
				p.received = p.progress >= p.end
			}
			// A send that writes made last past the deadline: the
			// reply is due a timeout after the ping is out.
			if written := m.clock().Now(); written.After(p.deadline) {
				p.deadline = written.Add(timeout)
			}
		}
		return nil
	case ctx != nil && errors.Is(context.Cause(ctx), errPingTimeout):
		return m.deadError(m.clock().Now().Sub(now))
	default:
		return fmt.Errorf("heartbeat: sending ping: %w", err)
	}
}

// sendNow sends ping m.seq through the connection's TryPingSpan, with no
// context and no deadline, when the monitor knows nothing is
// unacknowledged at base (cleared): on an idle connection, every ping but
// the first. It reports false when it sent nothing: the connection was
// busy or had written since, or is no TryPinger; the ping then goes
// through send, under a deadline.
func (m *Monitor) sendNow(base uint64, known bool, timeout time.Duration) (start, end uint64, sent bool, err error) {
	if !known || m.try == nil {
		return 0, 0, false, nil
	}
	binary.BigEndian.PutUint64(m.tryPayload[:], m.seq)
	end, sent, err = m.try.TryPingSpan(m.tryPayload[:], base, timeout)
	return base, end, sent || err != nil, err
}

// cleared reports whether the connection's writes are known to be all
// acknowledged, and if so Progress's value, without calling Progress: the
// last ping, p, was answered, which proves the peer's TCP acknowledged
// every byte through its end, and Sent has not moved since. On an idle
// connection that is every ping but the first.
func (m *Monitor) cleared(p *probe) (uint64, bool) {
	if p.proves == 0 || m.opts.Sent == nil || m.expected.Load() == p.id {
		// Unknown, withdrawn, or not answered (in AnyFrame mode other
		// frames may have excused it).
		return 0, false
	}
	n := m.opts.Sent()
	return n, n == p.proves
}

// finish records why the monitor ends, unless Stop got there first: a
// stopped monitor reports no cause, whatever its last Ping returned.
func (m *Monitor) finish(err error) {
	if !m.stopped.Load() {
		m.err = err
		if f := m.opts.OnDead; f != nil {
			f(err)
		}
	}
}

// nextTick returns the first tick of the grid next + k·interval that is
// after now. Ticks missed while the timer was held up (a slow Ping, a
// suspended process) are skipped rather than fired in a burst.
func nextTick(next, now time.Time, interval time.Duration) time.Time {
	if now.Before(next) {
		return next
	}
	missed := now.Sub(next)/interval + 1
	return next.Add(missed * interval)
}

// sendDeadline cancels a ping's send once its timeout passes, unless
// Options.Progress grew meanwhile, in which case it waits another timeout.
// Its timer's callback and the monitor's step share it under mu. It
// lives as long as the monitor and its timer serves ping after ping; each
// send gets a context of its own, let go when the send returns.
type sendDeadline struct {
	clk      Clock
	progress func() uint64

	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timer   Timer
	timeout time.Duration
	due     time.Time // when the armed timeout ends
	last    uint64
	stopped bool
	aborted bool // Stop was called: every send is cancelled
}

// start arms the deadline for a send bounded by timeout and returns the
// context to send with. When known is set, base is what Progress returns
// now (Monitor.cleared), and Progress is not called.
func (d *sendDeadline) start(timeout time.Duration, base uint64, known bool) context.Context {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ctx, d.cancel = context.WithCancelCause(context.Background())
	if d.aborted {
		d.cancel(errStopped)
	}
	switch {
	case known:
		d.last = base
	case d.progress != nil:
		d.last = d.progress()
	}
	d.timeout, d.stopped = timeout, false
	d.due = d.clk.Now().Add(timeout)
	if d.timer == nil {
		d.timer = d.clk.AfterFunc(timeout, d.expire)
	} else {
		d.timer.Reset(timeout)
	}
	return d.ctx
}

func (d *sendDeadline) expire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clk.Now()
	if d.stopped || now.Before(d.due) {
		// Stopped, or a firing meant for an earlier send that ran late:
		// the timer was reset for this one and fires again.
		return
	}
	if d.progress != nil {
		if n := d.progress(); n != d.last {
			d.last = n
			d.due = now.Add(d.timeout)
			d.timer.Reset(d.timeout)
			return
		}
	}
	d.cancel(errPingTimeout)
}

// abort cancels the send in progress, and every later one, for Stop.
func (d *sendDeadline) abort() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.aborted = true
	if d.cancel != nil {
		d.cancel(errStopped)
	}
}

// stop ends the send's deadline once the send has returned, and lets its
// context go: a context that transport.Conn's writes have watched keeps
// the table of its watchers (a few hundred bytes) for as long as it
// lives, and an idle connection spends nearly all its time between pings.
func (d *sendDeadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	d.timer.Stop()
	if d.cancel != nil {
		d.cancel(nil)
		d.ctx, d.cancel = nil, nil
	}
}

// idle lets the timer go once a ping has gone out without a deadline
// (Monitor.sendNow): the connection has been quiet for a whole interval,
// and while it stays so no ping needs one. The next ping that does makes
// a new timer. Idle connections so keep no timer for it, as they keep no
// write buffer (issue 21: an idle Client's heap).
func (d *sendDeadline) idle() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}

// release frees the context and the timer when the monitor ends.
func (d *sendDeadline) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	if d.timer != nil {
		d.timer.Stop()
	}
	if d.cancel != nil {
		d.cancel(nil)
	}
}
