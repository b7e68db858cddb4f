package client

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a Client's counters.
type Stats struct {
	State      State
	Connects   uint64 // successful connections
	Reconnects uint64 // successful connections after the first
	Attempts   uint64 // connection attempts, successful or not
	Queued     uint64 // messages accepted by Send
	Sent       uint64 // messages written to a connection
	Received   uint64 // messages delivered to Read
	// Dropped counts the messages reported undelivered for any reason but
	// ReasonExpired: overflow, unconfirmed, expired after being written,
	// or left at Close.
	Dropped uint64
	// Expired counts the messages that outlived their MaxAge unsent.
	Expired    uint64
	QueueDepth int // messages in the queue, sent-but-unacknowledged included
	QueueBytes int64
	// LastRTT is the last ping round trip, 0 before the first; kept across
	// reconnects. SmoothRTT is its smoothed mean.
	LastRTT   time.Duration
	SmoothRTT time.Duration

	// InboundDepth and InboundBytes are the received messages waiting for
	// Read, and their payload bytes.
	InboundDepth int
	InboundBytes int64
	// InboundDropped counts received messages the inbound policy discarded
	// (InboundDropOldest, InboundDropNewest, InboundDiscard).
	InboundDropped uint64
	// ReaderStalled is true while the connection's reader waits for the
	// program to Read (InboundWait with a full inbox): nothing else is
	// read from the network meanwhile, and the heartbeat is paused.
	ReaderStalled bool
}

type stats struct {
	connects, attempts, queued, sent, received atomic.Uint64
	dead                                       [numReasons]atomic.Uint64
	lastRTT, smoothRTT                         atomic.Int64
}

// Stats returns the current counters. Safe for concurrent use.
func (c *Client) Stats() Stats {
	s := Stats{
		State:     c.State(),
		Connects:  c.stats.connects.Load(),
		Attempts:  c.stats.attempts.Load(),
		Queued:    c.stats.queued.Load(),
		Sent:      c.stats.sent.Load(),
		Received:  c.stats.received.Load(),
		Expired:   c.stats.dead[ReasonExpired].Load(),
		LastRTT:   time.Duration(c.stats.lastRTT.Load()),
		SmoothRTT: time.Duration(c.stats.smoothRTT.Load()),
	}
	for r := ReasonOverflow; r < numReasons; r++ {
		s.Dropped += c.stats.dead[r].Load()
	}
	if m := c.mon.Load(); m != nil {
		if last, smooth := m.RTT(); last > 0 {
			s.LastRTT, s.SmoothRTT = last, smooth
		}
	}
	if s.Connects > 0 {
		s.Reconnects = s.Connects - 1
	}
	s.QueueDepth, s.QueueBytes = c.q.Len()
	s.InboundDepth, s.InboundBytes, s.InboundDropped, s.ReaderStalled = c.inbox.stats()
	return s
}
