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
	Dropped    uint64 // messages dropped: overflow, unconfirmed or closed
	Expired    uint64 // messages that outlived their MaxAge
	QueueDepth int    // messages in the queue, sent-but-unacknowledged included
	QueueBytes int64
	LastRTT    time.Duration // last ping round trip, 0 before the first; kept across reconnects
	SmoothRTT  time.Duration
}

type stats struct {
	connects, attempts, queued, sent, received, dropped, expired atomic.Uint64
	lastRTT, smoothRTT                                           atomic.Int64
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
		Dropped:   c.stats.dropped.Load(),
		Expired:   c.stats.expired.Load(),
		LastRTT:   time.Duration(c.stats.lastRTT.Load()),
		SmoothRTT: time.Duration(c.stats.smoothRTT.Load()),
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
	return s
}
