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
	// cancelled: the armed context's AfterFunc fired, so the deadline is
	// in the past and refresh must leave it there. Guarded by mu.
	cancelled bool

	// What the call armed, for refresh: the progress timeout (0 when
	// none), the context's deadline (zero when none), and the bytes the
	// socket has taken since the deadline was last set. Owned by the
	// goroutine that armed.
	fixed time.Duration
	limit time.Time
	taken int
}

// set sets the deadline.
func (d *deadlineArm) set(t time.Time) error {
	if d.write {
		return d.c.nc.SetWriteDeadline(t)
	}
	return d.c.nc.SetReadDeadline(t)
}

// arm applies ctx, and a progress timeout fixed if positive, to the
// blocking calls that follow, until disarm. The progress timeout runs from
// now and, on the write side, moves on as the socket takes bytes (see
// progress); the context's deadline stays where it is. It reports whether
// it set anything, so the caller knows to disarm; a context that can never
// be cancelled and no timeout cost nothing.
func (d *deadlineArm) arm(ctx context.Context, fixed time.Duration) bool {
	if fixed <= 0 && ctx.Done() == nil {
		// Never cancelled, so no deadline either (a context with one has
		// a Done channel): the per-message path with context.Background.
		return false
	}
	d.fixed, d.taken = max(fixed, 0), 0
	d.limit, _ = ctx.Deadline()
	dl := d.next()
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
				d.cancelled = true
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
	d.cancelled = false
	d.fixed = 0
	_ = d.set(time.Time{})
	d.mu.Unlock()
}

// next returns the deadline for a write starting now: the progress timeout
// from now, or the context's deadline if that is earlier; zero for none.
func (d *deadlineArm) next() time.Time {
	var dl time.Time
	if d.fixed > 0 {
		dl = time.Now().Add(d.fixed)
	}
	if !d.limit.IsZero() && (dl.IsZero() || d.limit.Before(dl)) {
		dl = d.limit
	}
	return dl
}

// progressChunk is how many bytes the socket must take before a progress
// timeout moves on: a write is given at most this much per system call
// while one is armed, and the deadline is set again once the socket has
// taken this much since it was last set. Setting a deadline is cheap but
// not free (a lock and a timer in the runtime's poller), so it is not done
// per system call; and a TLS connection is unusable after a write deadline
// fires, so the deadline must be moved before it fires, never after. 16 KiB
// is one TLS record: a link must carry 16 to 32 KiB per WriteTimeout to
// count as moving (1.6 to 3.2 KiB/s at 10 s).
const progressChunk = 16 << 10

// progress records that the socket took n more bytes and, once it has
// taken progressChunk since the deadline was set, sets it again from now.
// The goroutine that armed calls it; a cancellation that has fired stays in
// force.
func (d *deadlineArm) progress(n int) {
	// Small enough to inline: the common case, a write well under
	// progressChunk, costs an add and a compare.
	if d.taken += n; d.taken >= progressChunk && d.fixed > 0 {
		d.refresh()
	}
}

// refresh sets the deadline again from now, unless a cancellation has
// fired.
func (d *deadlineArm) refresh() {
	d.taken = 0
	d.mu.Lock()
	if !d.cancelled {
		_ = d.set(d.next())
	}
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

// acquireTurn is acquire for a write that has put nothing on the wire
// yet: a ctx already done once the lock is taken ends only this call, as
// one cancelled while it waited does, and leaves the connection as it
// was. The lock's fast path never looks at ctx, and a write begun with a
// done ctx raced its own deadline: some went out, others failed the
// connection with nothing written ("write cancelled mid-frame").
func acquireTurn(ctx context.Context, s *sem) error {
	if err := acquire(ctx, s); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		release(s)
		return err
	}
	return nil
}

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
