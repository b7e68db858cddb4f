package queue

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock is a clock tests move by hand, so expiry never depends on how
// fast the machine is.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// dropRecord is one OnDrop call, with the payload copied because the
// queue's copy is only valid during the call.
type dropRecord struct {
	Seq     uint64
	Reason  DropReason
	Payload string
}

// recorder collects OnDrop calls.
type recorder struct {
	mu    sync.Mutex
	drops []dropRecord
}

func (r *recorder) OnDrop(e Entry, why DropReason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drops = append(r.drops, dropRecord{e.Seq, why, string(e.Payload)})
}

// take returns the calls so far and forgets them.
func (r *recorder) take() []dropRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.drops
	r.drops = nil
	return out
}
