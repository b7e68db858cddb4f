package queue

// retired parks the blocks of acknowledged entries the consumer may still
// be reading.
//
// An ack can arrive on any goroutine while the consumer (the writer) is
// still writing a payload it was handed: a server that acknowledges
// cumulatively may ack ahead of what the writer has replayed. If the block
// went straight back to storage, the next Push could copy another message
// into it under the writer's feet, and the connection would carry bytes of
// two messages. So the block of an entry acknowledged while in flight
// (handed out since the last Rewind) waits here, and the consumer's next
// call (Next, TryNext, Rewind, or Drain once the consumer stopped) returns
// it to storage: by then the consumer has said, by calling, that it is done
// with what it was handed, unless it still holds the entry (which an ack
// has not removed). The slice is reused, so the send path stays
// allocation-free once warm. Guarded by the queue's mutex.
type retired struct {
	blocks [][]byte
}

// retire disposes of the block of an entry just removed from the ring by
// an acknowledgement: parked when the consumer was handed the entry and
// has not called since, recycled at once otherwise. Called with mu held.
func (c *core) retire(s slot, handed bool) {
	if handed && cap(s.buf) > 0 {
		c.retired.blocks = append(c.retired.blocks, s.buf)
		return
	}
	c.store.put(s.buf)
}

// reclaim returns the parked blocks to storage. The consumer calls it, with
// mu held, at the start of each Next, TryNext, Rewind and Drain.
func (c *core) reclaim() {
	for i, b := range c.retired.blocks {
		c.store.put(b)
		c.retired.blocks[i] = nil
	}
	c.retired.blocks = c.retired.blocks[:0]
}
