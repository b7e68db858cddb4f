package transport

import (
	"context"
	"sync"
	"time"
)

// aLongTimeAgo is a deadline in the past: setting it makes a blocked read
// or write return at once.
var aLongTimeAgo = time.Unix(1, 0)

// deadlineArm ties a context to a read or write deadline of the net.Conn
// for the length of one call, so cancelling the context aborts that call
// only. A context that can never be cancelled costs nothing; one that can
// costs a context.AfterFunc registration.
type deadlineArm struct {
	// c and write name the deadline: c.nc's write deadline, or its read
	// deadline. (Not a method value such as c.nc.SetReadDeadline, which
	// would be a heap allocation per connection and direction.)
	c     *Conn
	write bool

	mu   sync.Mutex
	gen  uint32 // bumped on disarm, so a late AfterFunc does nothing
	stop func() bool
}

// set sets the deadline.
func (d *deadlineArm) set(t time.Time) error {
	if d.write {
		return d.c.nc.SetWriteDeadline(t)
	}
	return d.c.nc.SetReadDeadline(t)
}

// arm applies ctx, and a fixed timeout if positive, to the blocking calls
// that follow, until disarm. It reports whether it set anything, so the
// caller knows to disarm; a context that can never be cancelled and no
// timeout cost nothing.
func (d *deadlineArm) arm(ctx context.Context, fixed time.Duration) bool {
	if fixed <= 0 && ctx.Done() == nil {
		// Never cancelled, so no deadline either (a context with one has
		// a Done channel): the per-message path with context.Background.
		return false
	}
	var dl time.Time
	if fixed > 0 {
		dl = time.Now().Add(fixed)
	}
	if t, ok := ctx.Deadline(); ok && (dl.IsZero() || t.Before(dl)) {
		dl = t
	}
	armed := false
	if !dl.IsZero() {
		_ = d.set(dl)
		armed = true
	}
	if ctx.Done() != nil {
		d.mu.Lock()
		gen := d.gen
		d.mu.Unlock()
		d.stop = context.AfterFunc(ctx, func() {
			d.mu.Lock()
			if d.gen == gen {
				_ = d.set(aLongTimeAgo)
			}
			d.mu.Unlock()
		})
		armed = true
	}
	return armed
}

// disarm undoes arm. The goroutine that armed must call it.
func (d *deadlineArm) disarm() {
	d.mu.Lock()
	if d.stop != nil {
		d.stop()
		d.stop = nil
	}
	// A cancellation that already fired must not reach the next call.
	d.gen++
	_ = d.set(time.Time{})
	d.mu.Unlock()
}

// acquire takes sem, giving up when ctx is done.
func acquire(ctx context.Context, s *sem) error {
	if s.tryAcquire() {
		return nil
	}
	if !s.acquireOr(ctx.Done(), nil, nil) {
		return ctx.Err()
	}
	return nil
}

func release(s *sem) { s.release() }

// ctxErr returns the context's error when err, a network timeout, was
// caused by ctx: cancelled, or its deadline passed (the socket deadline can
// fire a moment before the context's own timer does).
func ctxErr(ctx context.Context, err error) error {
	if ctx.Done() == nil || !isTimeout(err) {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}
