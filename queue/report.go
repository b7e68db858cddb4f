package queue

import "sync"

// dropped is a removed entry waiting to be reported; its block goes back
// to storage only after OnDrop has seen the payload.
type dropped struct {
	e   Entry
	buf []byte
	why DropReason
}

// reporter delivers a queue's drop reports outside its lock, in the order
// of the drops. Memory and File embed one; it points at their lock and
// their block storage.
type reporter struct {
	mu     *sync.Mutex
	store  *storage
	onDrop func(Entry, DropReason)

	pending   []dropped // drops not yet reported
	spare     []dropped // the reporter's other slice
	reporting bool
	// settled is signalled, under mu, when a goroutine stops reporting;
	// made by the first Close that has to wait for one (await).
	settled *sync.Cond
	// awaitHook, when set by a test, runs (under mu) each time await is
	// about to wait, so tests can wait for that event instead of sleeping.
	awaitHook func()
}

// drop disposes of a removed entry. Called with mu held; the report itself
// waits for unlock so that OnDrop never runs under the lock.
func (r *reporter) drop(s slot, why DropReason) {
	if r.onDrop == nil {
		r.store.put(s.buf)
		return
	}
	r.pending = append(r.pending, dropped{e: s.e, buf: s.buf, why: why})
}

// unlock releases mu, first delivering the drops collected under it.
//
// One goroutine reports at a time (the one that finds reporting unset), so
// reports keep the order of the drops even when several producers drop at
// once; the others leave their drops for it and return. Its two slices
// swap roles each round, so reporting allocates nothing once warm. A Push
// made from inside OnDrop finds reporting set and does not recurse.
func (r *reporter) unlock() {
	if r.reporting || len(r.pending) == 0 {
		r.mu.Unlock()
		return
	}
	r.reporting = true
	for len(r.pending) > 0 {
		batch := r.pending
		r.pending = r.spare[:0]
		onDrop := r.onDrop // AddOnDrop changes it under mu
		r.mu.Unlock()
		r.deliver(onDrop, batch)
		r.mu.Lock()
		r.recycle(batch)
		r.spare = batch[:0]
	}
	r.stopReporting()
	r.mu.Unlock()
}

// stopReporting hands the reporter's role back and wakes a Close waiting
// for it. Called with mu held.
func (r *reporter) stopReporting() {
	r.reporting = false
	if r.settled != nil {
		r.settled.Broadcast()
	}
}

// await returns once no goroutine is delivering drop reports: every drop
// made before it has been reported (unless OnDrop panicked, which leaves
// the rest for the next drop's report). Close calls it, so that an owner
// counting drops in OnDrop (a client.Client, for the UndeliveredError its
// Close returns) has seen them all when Close returns: a drop made by one
// goroutine while another was reporting is left to that other, whose
// Push has returned ErrDropped already. Called with mu held, which it
// lets go while it waits. It must not be called from OnDrop.
func (r *reporter) await() {
	for r.reporting {
		if r.settled == nil {
			r.settled = sync.NewCond(r.mu)
		}
		if r.awaitHook != nil {
			r.awaitHook()
		}
		r.settled.Wait()
	}
}

// deliver calls OnDrop for each of batch. If OnDrop panics it hands the
// reporter's role back before the panic goes on, so later drops are still
// reported and the pending list cannot grow without bound.
func (r *reporter) deliver(onDrop func(Entry, DropReason), batch []dropped) {
	done := false
	defer func() {
		if !done {
			r.mu.Lock()
			r.recycle(batch)
			r.stopReporting()
			r.mu.Unlock()
		}
	}()
	for i := range batch {
		onDrop(batch[i].e, batch[i].why)
	}
	done = true
}

func (r *reporter) recycle(batch []dropped) {
	for i := range batch {
		r.store.put(batch[i].buf)
		batch[i] = dropped{}
	}
}

// AddOnDrop adds f to the queue's drop reports: from now on every drop is
// reported to the OnDrop the queue was built with, if any, and then to f,
// in the same order and under the same rules. It lets an owner that did
// not build the queue (a client.Client given a queue.File) learn of its
// overflow and expiry without taking the builder's callback away. Safe
// for concurrent use.
func (c *core) AddOnDrop(f func(Entry, DropReason)) {
	if f == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.onDrop; prev != nil {
		c.onDrop = func(e Entry, why DropReason) {
			prev(e, why)
			f(e, why)
		}
		return
	}
	c.onDrop = f
}
