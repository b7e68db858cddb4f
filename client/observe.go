package client

import (
	"time"

	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// The Client tells Options.Observer of events through these methods. Each
// is a nil check that inlines at its call site, so a Client without an
// Observer pays one predictable branch per event; the call itself is
// made apart. The calls made per message (MessageReceived, MessagesSent)
// are direct: containing a panic costs a deferred recover, measured at
// 20 to 30 ns a call (BenchmarkObserverPerMessage), a tenth of what the
// Client spends on a 64-byte message, so those two must not panic, as
// Observer says. The others run under guard, so a panic there fails the
// session like any other callback's.

// replayMark is what the writer needs to report the replay after a
// reconnect. The supervisor goroutine owns it (it is also the writer).
// observed is what the supervisor records for Options.Observer, made only
// when one is set: a Client without an Observer (an idle fleet's) does
// not carry its 300 bytes.
type observed struct {
	att    ConnectAttempt // the attempt in progress
	replay replayMark     // the replay to report
}

type replayMark struct {
	droppedAt time.Time // when the last connection ended; zero before one has
	upAt      time.Time // when the connection the replay is armed for came up (Connected)
	conn      uint64    // that connection
	messages  int       // what waited in the queue when it came up; 0: nothing to report
	bytes     int64
}

func (c *Client) observeStarted() {
	if c.opts.Observer != nil {
		c.guard("Observer.Started", func() { c.opts.Observer.Started(c) })
	}
}

func (c *Client) observeState(ch StateChange) {
	if c.opts.Observer != nil {
		c.noteState(ch)
	}
}

// Not inlined, so its caller, the nil check, stays small enough to be.
//
//go:noinline
func (c *Client) noteState(ch StateChange) {
	c.armReplay(ch)
	c.guard("Observer.StateChanged", func() { c.opts.Observer.StateChanged(ch) })
}

func (c *Client) observeReceived(typ transport.MessageType, n int) {
	if c.opts.Observer != nil {
		c.noteReceived(typ, n)
	}
}

// Not inlined, so its caller, the nil check, stays small enough to be.
//
//go:noinline
func (c *Client) noteReceived(typ transport.MessageType, n int) {
	c.opts.Observer.MessageReceived(typ, n)
}

func (c *Client) observeDeadLetter(d *DeadLetter) {
	if c.opts.Observer != nil {
		c.noteDeadLetter(d.Reason, len(d.Payload))
	}
}

// Not inlined, so its caller, the nil check, stays small enough to be.
//
//go:noinline
func (c *Client) noteDeadLetter(r DropReason, n int) {
	c.guard("Observer.DeadLetter", func() { c.opts.Observer.DeadLetter(r, n) })
}

// observeSent reports a flushed batch, and the replay when it is the first
// of a reconnected connection to carry queued messages.
func (c *Client) observeSent(batch []queue.Entry) {
	if c.opts.Observer != nil && len(batch) > 0 {
		c.noteSent(batch)
	}
}

// Not inlined, so its caller, the nil check, stays small enough to be.
//
//go:noinline
func (c *Client) noteSent(batch []queue.Entry) {
	n := 0
	for i := range batch {
		n += len(batch[i].Payload)
	}
	c.opts.Observer.MessagesSent(len(batch), n)
	if m := &c.ob.replay; m.messages > 0 {
		// The first flush on the connection, or the first that carried
		// anything: a replay if what it carried waited from before the
		// connection came up, rather than all of that having expired.
		r := Replay{Conn: m.conn, Messages: m.messages, Bytes: m.bytes, Down: time.Since(m.droppedAt)}
		m.messages = 0
		if batch[0].Enqueued.Before(m.upAt) {
			c.guard("Observer.Replayed", func() { c.opts.Observer.Replayed(r) })
		}
	}
}

// armReplay notes when a connection ends, and when the next comes up
// what waits in the queue since. What is sent once the state is
// Connected is not part of the replay.
func (c *Client) armReplay(ch StateChange) {
	m := &c.ob.replay
	switch {
	case ch.From == Connected:
		m.droppedAt, m.messages = ch.At, 0
	case ch.To == Connected && !m.droppedAt.IsZero():
		n, b := c.q.Len()
		m.conn, m.upAt, m.messages, m.bytes = ch.Conn, ch.At, n, b
	}
}

// onRTT returns the heartbeat's OnRTT: the Observer's, then the program's
// own Heartbeat.OnRTT (guarded like the Client's other callbacks).
func (c *Client) onRTT(user func(time.Duration)) func(time.Duration) {
	obs := c.opts.Observer
	switch {
	case obs == nil && user == nil:
		return nil
	case obs == nil:
		return func(d time.Duration) { c.guard("Heartbeat.OnRTT", func() { user(d) }) }
	}
	return func(d time.Duration) {
		c.guard("Observer.RTT", func() { obs.RTT(d) })
		if user != nil {
			c.guard("Heartbeat.OnRTT", func() { user(d) })
		}
	}
}
