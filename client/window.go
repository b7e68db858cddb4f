package client

import "context"

// inFlighter is a queue that can tell how many entries are handed out and
// unacknowledged; queue.Memory is one. With another queue, MaxInFlight is
// not enforced.
type inFlighter interface{ InFlight() int }

// windowFull reports whether AtLeastOnce has Options.MaxInFlight messages
// written and not yet acknowledged, so the writer must wait before writing
// more: what a connection loses when it drops is replayed, and the window
// bounds how much that is.
func (c *Client) windowFull() bool {
	if c.opts.MaxInFlight <= 0 || c.opts.Delivery != AtLeastOnce {
		return false
	}
	q, ok := c.q.(inFlighter)
	return ok && q.InFlight() >= c.opts.MaxInFlight
}

// awaitWindow waits until the window has room, or ctx ends (returning its
// error). Everything written is flushed by then, so the acknowledgements it
// waits for can come.
func (c *Client) awaitWindow(ctx context.Context) error {
	for c.windowFull() {
		select {
		case <-c.acked:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// ackArrived wakes a writer waiting for room in the window.
func (c *Client) ackArrived() { signal(c.acked) }

// ackReceived applies a cumulative acknowledgement from the server
// (AckExtractor) or the program (AckThrough). With AtMostOnce it is a
// confirmation of what was written, and only of that: an ack can cover no
// message that has not been written yet (the server cannot have it), so
// it is clamped to the last message written. That also keeps the payload
// of an entry the writer has taken but not yet written (a batch being
// marked in a durable queue) in the queue until it is written.
func (c *Client) ackReceived(seq uint64) error {
	if cf := c.confirm.Load(); cf != nil {
		seq = min(seq, cf.sent.Load())
		cf.confirmThrough(seq)
	} else if c.opts.Delivery == AtMostOnce {
		return nil // nothing is written while disconnected
	}
	err := c.q.AckThrough(seq)
	c.ackArrived()
	return err
}
