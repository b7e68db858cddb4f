package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// probe is the last ping as the monitor's goroutine sees it.
type probe struct {
	id       uint64        // 0 before the first ping
	deadline time.Time     // send time + timeout
	timeout  time.Duration // reported as DeadError.Waited
	frames   uint64        // frame count when the ping left; AnyFrame compares against it
	judged   bool          // the deadline has passed and the peer was alive
}

// run is the monitor's goroutine. It wakes only on its own timer, at the
// next tick or the outstanding ping's deadline, whichever is first, and reads
// what the reader recorded in atomics. The reader never signals it, so a flood
// of inbound frames costs it nothing and cannot delay a verdict.
func (m *Monitor) run(t Timer, next time.Time) {
	defer close(m.done)
	defer t.Stop()
	var p probe
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C():
		}
		now := m.clock().Now()
		// The deadline is judged before the tick so that, when they fall
		// together (Timeout equal to Interval), silence is reported rather
		// than papered over by a new ping.
		if p.id != 0 && !p.judged && !now.Before(p.deadline) {
			if !m.aliveAtDeadline(&p) {
				m.finish(m.deadError(p.timeout))
				return
			}
			p.judged = true
		}
		if !now.Before(next) {
			next = nextTick(next, now, m.opts.Interval)
			// A tick while the last ping awaits its verdict is skipped:
			// at most one ping is outstanding.
			if p.id == 0 || m.heardSince(&p) {
				if err := m.ping(&p, now); err != nil {
					m.finish(err)
					return
				}
			}
		}
		wake := next
		if p.id != 0 && !p.judged && p.deadline.Before(wake) {
			wake = p.deadline
		}
		t.Reset(wake.Sub(m.clock().Now()))
	}
}

// heardSince reports, without consuming anything, whether the peer has
// answered ping p (or, in AnyFrame mode, sent anything since it left).
func (m *Monitor) heardSince(p *probe) bool {
	if m.opts.Mode == AnyFrame && m.frames.Load() != p.frames {
		return true
	}
	return m.expected.Load() != p.id
}

// aliveAtDeadline gives the verdict on ping p once its deadline has passed.
// In AnyFrame mode traffic suffices and the ping stays outstanding, so a late
// pong still yields a round-trip sample.
func (m *Monitor) aliveAtDeadline(p *probe) bool {
	if m.paused.Load() {
		// The reader is held up by the application: the reply may be
		// unread in the socket. Withdraw the ping so the next tick sends
		// a fresh one, judged after the pause.
		m.withdraw(p.id)
		return true
	}
	if m.opts.Mode == AnyFrame && m.frames.Load() != p.frames {
		return true
	}
	return !m.withdraw(p.id)
}

// ping sends the next heartbeat, sent at now, and makes it the outstanding
// probe. The send is bounded by the ping's own timeout.
func (m *Monitor) ping(p *probe, now time.Time) error {
	m.seq++
	frames := m.frames.Load()
	timeout := m.install(m.seq, now)
	*p = probe{id: m.seq, deadline: now.Add(timeout), timeout: timeout, frames: frames}

	ctx, cancel := context.WithCancelCause(m.ctx)
	defer cancel(nil)
	deadline := m.clock().AfterFunc(timeout, func() { cancel(errPingTimeout) })
	err := m.send(ctx, m.seq)
	deadline.Stop()
	switch {
	case err == nil:
		return nil
	case errors.Is(context.Cause(ctx), errPingTimeout):
		return m.deadError(timeout)
	default:
		return fmt.Errorf("heartbeat: sending ping: %w", err)
	}
}

// finish records why the monitor ends, unless Stop got there first: a
// stopped monitor reports no cause, whatever its last Ping returned.
func (m *Monitor) finish(err error) {
	if m.ctx.Err() == nil {
		m.err = err
		if f := m.opts.OnDead; f != nil {
			f(err)
		}
	}
}

// nextTick returns the first tick of the grid next + k·interval that is
// after now. Ticks missed while the goroutine was held up (a slow Ping, a
// suspended process) are skipped rather than fired in a burst.
func nextTick(next, now time.Time, interval time.Duration) time.Time {
	if now.Before(next) {
		return next
	}
	missed := now.Sub(next)/interval + 1
	return next.Add(missed * interval)
}
