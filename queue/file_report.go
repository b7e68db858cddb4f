package queue

// drop disposes of a removed entry. Called with mu held; the report waits
// for unlock so that OnDrop never runs under the lock.
func (f *File) drop(s slot, why DropReason) {
	if f.onDrop == nil {
		f.store.put(s.buf)
		return
	}
	f.pending = append(f.pending, dropped{e: s.e, buf: s.buf, why: why})
}

// unlock releases mu after delivering the drops collected under it. One
// goroutine reports at a time, so reports keep the order of the drops;
// the others leave theirs to it. The two lists swap roles each round, so
// reporting allocates nothing once warm.
func (f *File) unlock() {
	if f.reporting || len(f.pending) == 0 {
		f.mu.Unlock()
		return
	}
	f.reporting = true
	for len(f.pending) > 0 {
		batch := f.pending
		f.pending = f.spare[:0]
		f.mu.Unlock()
		f.report(batch)
		f.mu.Lock()
		f.release(batch)
		f.spare = batch[:0]
	}
	f.reporting = false
	f.mu.Unlock()
}

// report calls OnDrop for each of batch. Should OnDrop panic, the
// reporter's role is handed back first, so later drops are still reported.
func (f *File) report(batch []dropped) {
	ok := false
	defer func() {
		if !ok {
			f.mu.Lock()
			f.release(batch)
			f.reporting = false
			f.mu.Unlock()
		}
	}()
	for i := range batch {
		f.onDrop(batch[i].e, batch[i].why)
	}
	ok = true
}

// release returns the blocks of reported drops to storage.
func (f *File) release(batch []dropped) {
	for i := range batch {
		f.store.put(batch[i].buf)
		batch[i] = dropped{}
	}
}
