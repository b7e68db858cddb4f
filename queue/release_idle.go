package queue

// ReleaseIdle lets go of what the queue keeps for reuse (its slot array,
// the recycled payload blocks) when it is empty and nothing has been pushed
// since the previous call, and reports whether it did. An owner that calls
// it on a period (sturdy's Client does, with each heartbeat ping) keeps a
// session gone quiet after a burst as small as one that never sent: the
// slots and blocks a burst of 10,000 messages leaves are tens of kilobytes.
// The session that sends again makes them again: five allocations per quiet
// spell for a message handed out and acknowledged (the slot array, its
// block, the parked-block list, the free-list table and a free list;
// TestReleaseIdleQuietSpellCost), none while messages flow between calls.
//
// It never waits: when the queue's lock is held (a File holds it while it
// moves to a new segment, fsync and compaction included) it does nothing
// and reports false, so a heartbeat that calls it is not held up behind
// the disk. Safe for concurrent use.
func (c *core) ReleaseIdle() bool {
	if !c.mu.TryLock() {
		return false // busy: not quiet, and the next call looks again
	}
	defer c.mu.Unlock()
	quiet := c.seq == c.trimSeq
	c.trimSeq = c.seq
	if !quiet || c.ring.count != 0 {
		return false
	}
	c.ring.release()
	c.store = storage{budget: c.store.budget}
	// Blocks acknowledged since the consumer's last call are parked
	// because it may still read them; given to the collector instead of
	// back to storage, they are never reused, so that stays safe. An
	// idle writer waits in Next with its last batch acknowledged after
	// it: they would be parked for as long as it waits.
	c.retired.blocks = nil
	return true
}

// release drops the slot array of an empty ring; positions go on from
// where they were, and the next push makes a small array.
func (r *ring) release() {
	if r.head == r.tail {
		r.slots, r.mask = nil, 0
	}
}
