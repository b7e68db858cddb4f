package transport

import "sync/atomic"

// lazyChan is a channel made by whoever needs it first. A Conn has several
// channels that most connections never use (a lock's wake-up when nobody
// waits, the peer's close when nobody closes); at 96 bytes each they were
// a fair part of an idle connection's heap. Its channel holds one token
// (a lock's wake-up) or is only ever closed (the peer's close). The zero
// value is ready.
type lazyChan struct {
	p atomic.Pointer[chan struct{}]
}

// get returns the channel, making it on first use; every caller gets the
// same one.
func (l *lazyChan) get() chan struct{} {
	if p := l.p.Load(); p != nil {
		return *p
	}
	ch := make(chan struct{}, 1)
	if l.p.CompareAndSwap(nil, &ch) {
		return ch
	}
	return *l.p.Load()
}
