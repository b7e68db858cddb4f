package queue

// dropped is a removed entry waiting to be reported; its block goes back
// to storage only after OnDrop has seen the payload.
type dropped struct {
	e   Entry
	buf []byte
	why DropReason
}

// drop disposes of a removed entry. Called with mu held; the report itself
// waits for unlock so that OnDrop never runs under the lock.
func (m *Memory) drop(s slot, why DropReason) {
	if m.onDrop == nil {
		m.store.put(s.buf)
		return
	}
	m.pending = append(m.pending, dropped{e: s.e, buf: s.buf, why: why})
}

// unlock releases mu, first delivering the drops collected under it.
//
// One goroutine reports at a time (the one that finds reporting unset), so
// reports keep the order of the drops even when several producers drop at
// once; the others leave their drops for it and return. Its two slices
// swap roles each round, so reporting allocates nothing once warm. A Push
// made from inside OnDrop finds reporting set and does not recurse.
func (m *Memory) unlock() {
	if m.reporting || len(m.pending) == 0 {
		m.mu.Unlock()
		return
	}
	m.reporting = true
	for len(m.pending) > 0 {
		batch := m.pending
		m.pending = m.spare[:0]
		m.mu.Unlock()
		m.deliver(batch)
		m.mu.Lock()
		m.recycle(batch)
		m.spare = batch[:0]
	}
	m.reporting = false
	m.mu.Unlock()
}

// deliver calls OnDrop for each of batch. If OnDrop panics it hands the
// reporter's role back before the panic goes on, so later drops are still
// reported and the pending list cannot grow without bound.
func (m *Memory) deliver(batch []dropped) {
	done := false
	defer func() {
		if !done {
			m.mu.Lock()
			m.recycle(batch)
			m.reporting = false
			m.mu.Unlock()
		}
	}()
	for i := range batch {
		m.onDrop(batch[i].e, batch[i].why)
	}
	done = true
}

func (m *Memory) recycle(batch []dropped) {
	for i := range batch {
		m.store.put(batch[i].buf)
		batch[i] = dropped{}
	}
}
