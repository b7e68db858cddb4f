package client

import (
	"strconv"
	"time"

	"github.com/sturdyws/sturdy/queue"
	"github.com/sturdyws/sturdy/transport"
)

// DropReason says why a message was not delivered.
type DropReason int

const (
	// ReasonExpired: the message outlived its MaxAge before it was ever
	// written to a connection: it was never sent.
	ReasonExpired DropReason = iota + 1
	// ReasonOverflow: the queue was full and its policy dropped the message
	// (DropOldest or DropNewest).
	ReasonOverflow
	// ReasonUnconfirmed: AtMostOnce wrote the message to a connection that
	// failed before the server confirmed reading it (or, with a durable
	// queue, a process that ended before the confirmation); it may or may
	// not have arrived, and is not resent.
	ReasonUnconfirmed
	// ReasonClosed: the message was still queued when the Client closed.
	ReasonClosed
	// ReasonExpiredUnacked: AtLeastOnce wrote the message to a connection
	// that then dropped, and its MaxAge passed before it was acknowledged
	// or replayed. The server may have read it; it is not sent again.
	ReasonExpiredUnacked

	numReasons = iota + 1
)

var dropReasonNames = [numReasons]string{"", "Expired", "Overflow", "Unconfirmed", "Closed", "ExpiredUnacked"}

// String returns the reason's name.
func (r DropReason) String() string {
	if r > 0 && int(r) < len(dropReasonNames) {
		return dropReasonNames[r]
	}
	return "DropReason(" + strconv.Itoa(int(r)) + ")"
}

// DeadLetter is a message that left the queue without being delivered.
type DeadLetter struct {
	Seq      uint64
	Type     transport.MessageType
	Payload  []byte // a copy the callback may keep
	Enqueued time.Time
	Reason   DropReason
	// Err is the connection error, for ReasonUnconfirmed.
	Err error
}

func deadLetter(e queue.Entry, reason DropReason, err error) DeadLetter {
	return DeadLetter{
		Seq:      e.Seq,
		Type:     transport.MessageType(e.Type),
		Payload:  append([]byte(nil), e.Payload...),
		Enqueued: e.Enqueued,
		Reason:   reason,
		Err:      err,
	}
}

func fromQueueReason(r queue.DropReason) DropReason {
	switch r {
	case queue.ReasonExpired:
		return ReasonExpired
	case queue.ReasonExpiredUnacked:
		return ReasonExpiredUnacked
	case queue.ReasonClosed:
		return ReasonClosed
	}
	return ReasonOverflow
}

// queueDropped receives the queue's drop reports.
func (c *Client) queueDropped(e queue.Entry, r queue.DropReason) {
	c.deadLetter(deadLetter(e, fromQueueReason(r), nil))
}

// deadLetter counts a dead letter, logs it (summarised under a flood) and
// hands it to OnDeadLetter.
func (c *Client) deadLetter(d DeadLetter) {
	c.stats.dead[d.Reason].Add(1)
	c.observeDeadLetter(&d)
	c.deadLog.note(c.opts.Logger, d, time.Now())
	if f := c.opts.OnDeadLetter; f != nil {
		c.disp.schedule(func() { c.guard("OnDeadLetter", func() { f(d) }) })
	}
}

// undelivered returns what the session failed to deliver, by reason, or
// nil when it delivered everything.
func (c *Client) undelivered() *UndeliveredError {
	var e UndeliveredError
	for r := DropReason(1); r < numReasons; r++ {
		e.Counts[r] = c.stats.dead[r].Load()
		e.Total += e.Counts[r]
	}
	if e.Total == 0 {
		return nil
	}
	return &e
}
