package queue

import (
	"context"
	"sync"
	"time"
)

// core is what Memory and File share: the limits, the ring of entries with
// their recycled blocks, the lock, the wake-ups of the consumer and of
// blocked producers, and the drop reporter. File adds its log in front of
// every change; the state machine is the same.
type core struct {
	maxMessages int
	maxBytes    int64
	policy      Policy
	now         func() time.Time

	done chan struct{} // closed by Close, for blocked producers
	// ready holds one token that wakes the consumer waiting in Next: for
	// an entry, and for Close. Next waits on it and its ctx alone, not
	// on done too: every case of a parked select holds a record of the
	// waiter (a sudog, 96 B), and an idle Client's writer waits in Next
	// for its whole life.
	ready chan struct{}

	// waitHook, when set by a test, runs just before Push or Next blocks,
	// so tests can wait for that event instead of sleeping.
	waitHook func()

	mu      sync.Mutex
	ring    ring
	store   storage
	retired retired // blocks of acked entries the consumer may still read
	seq     uint64  // the last sequence number given out
	trimSeq uint64  // seq at the last ReleaseIdle
	closed  bool
	waiting bool // the consumer is in Next, or was when its ctx ended

	// space is closed when an entry leaves, waking every producer blocked
	// under the Block policy at once; it exists only while one waits, so a
	// queue that never fills never allocates it.
	space chan struct{}

	// sweepAt is no later than the earliest deadline among pending
	// entries (zero: none has one), so a sweep looks for expired
	// entries only when one of them may have expired.
	sweepAt time.Time

	// The expiry timer (expiry.go): made on first use by afterFunc,
	// armed to fire at expiryAt (zero: not armed).
	afterFunc func(time.Duration, func()) timer
	expiry    timer
	expiryAt  time.Time

	// gated holds back from the consumer the entries whose log position
	// is beyond durable (File under SyncAlways: an entry is handed out
	// only once fsynced).
	gated   bool
	durable uint64

	// dropFn is the queue's dropAt (Memory's, or File's, which logs the
	// removal), bound once so the hot paths do not make method values.
	dropFn func(pos uint64, why DropReason)

	reporter // OnDrop, and the drops waiting for it
}

// init sets c up from o, whose zero fields have been filled in.
func (c *core) init(o Options) {
	c.maxMessages = o.MaxMessages
	c.maxBytes = o.MaxBytes
	c.policy = o.Overflow
	c.now = o.Now
	c.afterFunc = o.afterFunc
	c.done = make(chan struct{})
	c.ready = make(chan struct{}, 1)
	c.ring = newRing(o.MaxMessages)
	c.store = storage{budget: o.MaxBytes}
	c.reporter = reporter{mu: &c.mu, store: &c.store, onDrop: o.OnDrop}
}

// wakeConsumer wakes the consumer if it waits in Next, or is about to: a
// token left over after its ctx ended only costs one more look. Called
// with mu held.
func (c *core) wakeConsumer() {
	if !c.waiting {
		return
	}
	c.waiting = false
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// InFlight reports how many entries Next and TryNext have handed out since
// the last Rewind that are still held (not acknowledged, expired or
// evicted). A writer bounds its unacknowledged window with it. Safe for
// concurrent use.
func (c *core) InFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ring.inflight
}

// Len reports the entries held and their payload bytes, in flight or
// pending. Expired entries count until they are dropped. Safe for
// concurrent use.
func (c *core) Len() (messages int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ring.count, c.ring.bytes
}

func (c *core) fits(n int) bool {
	return c.ring.count < c.maxMessages && c.ring.bytes+int64(n) <= c.maxBytes
}

// wait blocks a Block-policy producer until an entry leaves, the queue
// closes or ctx is done. Called with mu held; returns with it held.
func (c *core) wait(ctx context.Context) error {
	if c.space == nil {
		c.space = make(chan struct{})
	}
	space := c.space
	c.unlock()
	if c.waitHook != nil {
		c.waitHook()
	}
	var err error
	select {
	case <-space:
	case <-c.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.mu.Lock()
	return err
}

// evict makes room for n bytes by dropping the oldest pending entries, if
// dropping them all would be enough. Entries in flight are the consumer's
// until acknowledged or rewound, so they are never evicted. drop removes
// the entry at a position and reports it.
func (c *core) evict(n int, drop func(pos uint64, why DropReason)) bool {
	if c.ring.inflight >= c.maxMessages || c.ring.inflightBytes+int64(n) > c.maxBytes {
		return false
	}
	for !c.fits(n) {
		pos, _ := c.ring.peek()
		drop(pos, ReasonOverflowOldest)
	}
	return true
}

// take hands out the first pending entry that has not expired, dropping
// the expired ones it meets. Called by the consumer with mu held.
func (c *core) take() (Entry, bool) {
	c.reclaim()
	var now time.Time
	for {
		pos, ok := c.ring.peek()
		if !ok {
			return Entry{}, false
		}
		s := c.ring.at(pos)
		if c.gated && s.pos > c.durable {
			// Not yet fsynced: the sync that covers it wakes the
			// consumer. Later entries are later in the log.
			return Entry{}, false
		}
		if !s.e.Deadline.IsZero() {
			// The clock is read only for entries that can expire, so a
			// queue without deadlines never pays for it here.
			if now.IsZero() {
				now = c.now()
			}
			if s.e.Expired(now) {
				c.dropFn(pos, s.expiredReason())
				continue
			}
		}
		c.ring.hand(pos)
		return s.e, true
	}
}

// rewind moves the cursor back to the oldest entry held. The entries in
// flight become pending again, so their deadlines are watched again.
// Called by the consumer with mu held.
func (c *core) rewind() {
	c.reclaim()
	for p := c.ring.head; p < c.ring.cursor; p++ {
		if s := c.ring.at(p); s.live {
			c.watch(s.e.Deadline)
		}
	}
	c.ring.rewind()
}
