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
	// ReasonExpired: the message outlived its MaxAge before it could be sent.
	ReasonExpired DropReason = iota + 1
	// ReasonOverflow: the queue was full and its policy dropped the message
	// (DropOldest or DropNewest).
	ReasonOverflow
	// ReasonUnconfirmed: AtMostOnce wrote the message to a connection that
	// failed before the server confirmed reading it; it may or may not have
	// arrived, and is not resent.
	ReasonUnconfirmed
	// ReasonClosed: the message was still queued when the Client closed.
	ReasonClosed
)

var dropReasonNames = [...]string{"", "Expired", "Overflow", "Unconfirmed", "Closed"}

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
	case queue.ReasonClosed:
		return ReasonClosed
	}
	return ReasonOverflow
}
